//! The QR code of an `otpauth://` URI as a PNG, for `CreateVirtualMFADevice`'s `QRCodePNG`
//! (IAM's model has a PNG where the JSON API sends SVG). The `qrcode` crate lays out the modules;
//! `png` encodes them, 8-bit greyscale with a four-module quiet zone.

use qrcode::{Color, QrCode};

use crate::error::Error;

/// Pixels per module: a 33-module code becomes a 246-pixel square, easy for a phone to scan.
const SCALE: usize = 6;
/// Light modules around the code, as ISO/IEC 18004 asks.
const QUIET: usize = 4;

/// The PNG file's bytes.
pub fn render(text: &str) -> Result<Vec<u8>, Error> {
    let code = QrCode::new(text.as_bytes()).map_err(Error::internal)?;
    let modules = code.width();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let side = u32::try_from(side).map_err(Error::internal)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let png_error = |e: png::EncodingError| Error::internal(e);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_a_png_of_the_right_size() {
        let png = super::render("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width % super::SCALE as u32, 0);
    }
}
