use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::DeliverError;

/// Writes `bytes` as `dir/name` so that a reader watching `dir` never sees
/// a partial file: the bytes go to a hidden temporary name in the same
/// folder, are synced, and are renamed into place. Returns the final path.
///
/// # Errors
/// The folder cannot be created or written.
pub fn drop_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, DeliverError> {
    let target = dir.join(name);
    let error = |path: &Path| {
        let path = path.to_owned();
        move |source| DeliverError::Write { path, source }
    };
    fs::create_dir_all(dir).map_err(error(dir))?;
    let temporary = dir.join(format!(".{name}.{}.part", std::process::id()));
    let mut file = File::create(&temporary).map_err(error(&temporary))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(error(&temporary))?;
    drop(file);
    fs::rename(&temporary, &target).map_err(error(&target))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_appears_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = drop_file(&dir.path().join("out"), "a.hl7", b"MSH|^~\\&|").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"MSH|^~\\&|");
        let names: Vec<_> = fs::read_dir(dir.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["a.hl7"]);
    }
}
