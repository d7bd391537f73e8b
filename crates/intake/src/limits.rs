/// Bounds that keep a hostile or absurd file from exhausting the machine.
/// They are checked before anything large is allocated.
#[derive(Debug, Clone, Copy)]
pub struct IntakeLimits {
    pub max_file_bytes: u64,
    pub max_pages: usize,
    /// Width × height of one page after decoding or rendering.
    pub max_page_pixels: u64,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 256 * 1024 * 1024,
            // Referral packets run to tens of pages; hundreds means a wrong file.
            max_pages: 300,
            // A4 at 600 dpi is 35 Mpx; twice that leaves room for A3.
            max_page_pixels: 72_000_000,
        }
    }
}
