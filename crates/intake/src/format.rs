/// What a file holds, judged by its first bytes: extensions lie (a text
/// file renamed `.jpg` is a classic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Pdf,
    Png,
    Jpeg,
    Tiff,
}

impl FileFormat {
    pub fn sniff(bytes: &[u8]) -> Result<FileFormat, String> {
        let head = &bytes[..bytes.len().min(1024)];
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Ok(FileFormat::Png)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Ok(FileFormat::Jpeg)
        } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
            Ok(FileFormat::Tiff)
        } else if head.windows(5).any(|w| w == b"%PDF-") {
            // The PDF header may follow some junk bytes, which readers accept.
            Ok(FileFormat::Pdf)
        } else {
            Err(describe_unknown(head))
        }
    }
}

fn describe_unknown(head: &[u8]) -> String {
    if head.starts_with(b"GIF8") {
        "GIF image".into()
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        "WebP image".into()
    } else if head.starts_with(b"PK\x03\x04") {
        "ZIP archive or Office document".into()
    } else if std::str::from_utf8(head).is_ok() {
        "looks like plain text".into()
    } else {
        format!("unknown content starting {:02x?}", &head[..head.len().min(4)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(FileFormat::sniff(b"%PDF-1.7\n"), Ok(FileFormat::Pdf));
        assert_eq!(FileFormat::sniff(b"II*\0rest"), Ok(FileFormat::Tiff));
        assert_eq!(FileFormat::sniff("患者氏名".as_bytes()), Err("looks like plain text".into()));
    }
}
