//! PSKC (RFC 6030), the file format hardware tokens ship in (issue 16): the reader of a
//! `KeyContainer` into the tokens to import, plain or with its secrets encrypted under a
//! pre-shared key (AES-128-CBC or AES-256-CBC, each `ValueMAC` an HMAC-SHA1 under the
//! container's `MACKey`, RFC 6030 §6.1). The XML is read with quick-xml into a small tree first
//! (names compared without their namespace prefix); a DTD or an entity reference is refused.
//!
//! All or nothing: the first package that cannot be imported — an unsupported algorithm, a
//! secret under 128 bits, a wrong MAC, a serial given twice, digits other than security rule
//! 1's — refuses the whole file, with a message that names it (`KeyPackage 3 (serial
//! GAHT10000003)`). Nothing is written here: `admin::import_pskc` stores what this returns.
//!
//! Written by hand over quick-xml because no maintained crate reads PSKC: the format is a
//! dozen elements, and each is checked here.

use aes::{Aes128, Aes256};
use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use data_encoding::BASE64;
use hmac::{Hmac, KeyInit, Mac};
use quick_xml::Reader;
use quick_xml::events::Event;
use sha1::Sha1;
use zeroize::Zeroizing;

const HOTP: &str = "urn:ietf:params:xml:ns:keyprov:pskc:hotp";
const TOTP: &str = "urn:ietf:params:xml:ns:keyprov:pskc:totp";
const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
/// The least a seed may hold (RFC 4226 §4: 128 bits, 160 recommended).
const MIN_SECRET_BYTES: usize = 16;

/// One token of the file.
#[derive(Debug, PartialEq, Eq)]
pub struct Token {
    /// `DeviceInfo/SerialNo`, or the key's `Id` without one.
    pub serial: String,
    /// TOTP (with its step) or HOTP (with its counter).
    pub algorithm: Algorithm,
    /// 6, 7 or 8 (`ResponseFormat/@Length`; 6 when absent).
    pub digits: u8,
    /// The seed.
    pub secret: Zeroizing<Vec<u8>>,
}

/// A token's algorithm and its moving factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HOTP, at this counter (`Data/Counter`, 0 when absent).
    Hotp {
        /// The next counter.
        counter: u64,
    },
    /// TOTP with this step (`Data/TimeInterval`, 30 when absent) and drift in steps
    /// (`Data/TimeDrift`, 0 when absent).
    Totp {
        /// Seconds.
        step: u32,
        /// Steps the token runs ahead.
        drift: i64,
    },
}

/// Why a file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PskcError {
    /// Not PSKC (or not well-formed XML).
    #[error("not a PSKC file: {0}")]
    Format(String),
    /// The secrets are encrypted and no pre-shared key was given, or it is the wrong one.
    #[error("{0}; nothing was imported")]
    Key(String),
    /// One package cannot be imported: nothing is.
    #[error("KeyPackage {index} ({serial}): {reason}; nothing was imported")]
    Package {
        /// 1-based, in file order.
        index: usize,
        /// Its serial, or "no serial".
        serial: String,
        /// Why.
        reason: String,
    },
}

/// An element of the tree: its local name, attributes, text and children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, p| n.child(p))
    }
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_owned()
}

/// The document's root element.
fn parse_tree(xml: &str) -> Result<Node, PskcError> {
    let bad = |e: &dyn std::fmt::Display| PskcError::Format(e.to_string());
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().map_err(|e| bad(&e))? {
            Event::Start(e) => {
                let mut node = Node {
                    name: local(e.name().as_ref()),
                    ..Node::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| bad(&e))?;
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| bad(&e))?;
                    node.attributes
                        .push((local(a.key.as_ref()), value.into_owned()));
                }
                stack.push(node);
            }
            Event::Empty(e) => {
                let mut node = Node {
                    name: local(e.name().as_ref()),
                    ..Node::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| bad(&e))?;
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| bad(&e))?;
                    node.attributes
                        .push((local(a.key.as_ref()), value.into_owned()));
                }
                stack.last_mut().expect("root").children.push(node);
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                stack.last_mut().expect("root").text.push_str(text.trim());
            }
            Event::End(_) => {
                let node = stack.pop().expect("balanced");
                stack
                    .last_mut()
                    .ok_or_else(|| PskcError::Format("unbalanced elements".into()))?
                    .children
                    .push(node);
            }
            Event::DocType(_) => {
                return Err(PskcError::Format("a DTD is not accepted".into()));
            }
            Event::GeneralRef(_) => {
                return Err(PskcError::Format(
                    "entity references are not accepted".into(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut document = stack
        .pop()
        .filter(|_| stack.is_empty())
        .ok_or_else(|| PskcError::Format("unbalanced elements".into()))?;
    match document.children.len() {
        1 => Ok(document.children.remove(0)),
        _ => Err(PskcError::Format("one root element expected".into())),
    }
}

/// Reads a PSKC `KeyContainer`. `psk`: the pre-shared key its secrets are encrypted under
/// (16 or 32 bytes), if any.
pub fn read(xml: &str, psk: Option<&[u8]>) -> Result<Vec<Token>, PskcError> {
    let root = parse_tree(xml)?;
    if root.name != "KeyContainer" {
        return Err(PskcError::Format(format!(
            "the root element is {}, not KeyContainer",
            root.name
        )));
    }
    if root.attribute("Version") != Some("1.0") {
        return Err(PskcError::Format("KeyContainer Version must be 1.0".into()));
    }
    if let Some(key) = root.child("EncryptionKey")
        && key.child("DerivedKey").is_some()
    {
        return Err(PskcError::Key(
            "this file's key is derived from a password (PBKDF2): only a pre-shared key is \
             supported"
                .into(),
        ));
    }
    let mac_key = match root.child("MACMethod") {
        None => None,
        Some(method) => {
            if method.attribute("Algorithm") != Some(HMAC_SHA1) {
                return Err(PskcError::Format(format!(
                    "MACMethod {} is not supported (HMAC-SHA1 is)",
                    method
                        .attribute("Algorithm")
                        .unwrap_or("without an algorithm")
                )));
            }
            let key = method
                .child("MACKey")
                .ok_or_else(|| PskcError::Format("MACMethod without a MACKey".into()))?;
            Some(decrypt(key, psk).map_err(PskcError::Key)?)
        }
    };
    let packages: Vec<&Node> = root.all("KeyPackage").collect();
    if packages.is_empty() {
        return Err(PskcError::Format("no KeyPackage".into()));
    }
    let mut tokens: Vec<Token> = Vec::with_capacity(packages.len());
    for (i, package) in packages.into_iter().enumerate() {
        let key = package.child("Key");
        let serial = package
            .path(&["DeviceInfo", "SerialNo"])
            .map(|n| n.text.clone())
            .or_else(|| key.and_then(|k| k.attribute("Id")).map(str::to_owned))
            .filter(|s| !s.is_empty());
        let refuse = |reason: String| PskcError::Package {
            index: i + 1,
            serial: serial
                .clone()
                .map_or("no serial".into(), |s| format!("serial {s}")),
            reason,
        };
        let key = key.ok_or_else(|| refuse("no Key".into()))?;
        let serial = serial
            .clone()
            .ok_or_else(|| refuse("no DeviceInfo/SerialNo".into()))?;
        let token =
            token(key, serial, psk, mac_key.as_ref().map(|k| k.as_slice())).map_err(refuse)?;
        if tokens.iter().any(|t| t.serial == token.serial) {
            return Err(refuse("this serial is in the file twice".into()));
        }
        tokens.push(token);
    }
    Ok(tokens)
}

/// One `Key`'s token.
fn token(
    key: &Node,
    serial: String,
    psk: Option<&[u8]>,
    mac_key: Option<&[u8]>,
) -> Result<Token, String> {
    let data = key.child("Data").ok_or("no Data")?;
    let number = |name: &str| -> Result<Option<i64>, String> {
        data.path(&[name, "PlainValue"])
            .map(|n| {
                n.text
                    .parse::<i64>()
                    .map_err(|_| format!("{name} {:?} is not a whole number", n.text))
            })
            .transpose()
    };
    let algorithm = match key.attribute("Algorithm") {
        Some(HOTP) => {
            let counter = number("Counter")?.unwrap_or(0);
            Algorithm::Hotp {
                counter: u64::try_from(counter).map_err(|_| "a negative Counter")?,
            }
        }
        Some(TOTP) => {
            if number("Time")?.unwrap_or(0) != 0 {
                return Err("a Time (T0) other than 0 is not supported".into());
            }
            let step = number("TimeInterval")?.unwrap_or(30);
            Algorithm::Totp {
                step: u32::try_from(step)
                    .ok()
                    .filter(|s| (1..=3600).contains(s))
                    .ok_or("TimeInterval must be 1 to 3600 seconds")?,
                drift: number("TimeDrift")?.unwrap_or(0),
            }
        }
        other => {
            return Err(format!(
                "algorithm {} is not supported (HOTP and TOTP are)",
                other.unwrap_or("missing")
            ));
        }
    };
    let format = key.path(&["AlgorithmParameters", "ResponseFormat"]);
    if let Some(encoding) = format.and_then(|f| f.attribute("Encoding"))
        && encoding != "DECIMAL"
    {
        return Err(format!(
            "ResponseFormat Encoding {encoding} (DECIMAL is supported)"
        ));
    }
    let digits = match format.and_then(|f| f.attribute("Length")) {
        None => 6,
        Some(n) => n.parse::<u8>().map_err(|_| format!("Length {n:?}"))?,
    };
    // Security rule 1: six digits, or eight for an HOTP token.
    let digits_ok = digits == 6 || (digits == 8 && matches!(algorithm, Algorithm::Hotp { .. }));
    if !digits_ok {
        return Err(format!(
            "{digits}-digit codes are not accepted (6, or 8 for an HOTP token)"
        ));
    }
    let secret = data.child("Secret").ok_or("no Secret")?;
    let value = match (secret.child("PlainValue"), secret.child("EncryptedValue")) {
        (Some(plain), None) => Zeroizing::new(
            BASE64
                .decode(plain.text.as_bytes())
                .map_err(|_| "the Secret is not base64")?,
        ),
        (None, Some(encrypted)) => {
            if let Some(mac_key) = mac_key {
                check_mac(encrypted, secret.child("ValueMAC"), mac_key)?;
            }
            decrypt(encrypted, psk)?
        }
        _ => return Err("the Secret needs one PlainValue or EncryptedValue".into()),
    };
    if value.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "the secret has {} bits, fewer than 128",
            value.len() * 8
        ));
    }
    Ok(Token {
        serial,
        algorithm,
        digits,
        secret: value,
    })
}

/// The bytes of `CipherData/CipherValue` (IV then ciphertext).
fn cipher_value(node: &Node) -> Result<Vec<u8>, String> {
    let text = node
        .path(&["CipherData", "CipherValue"])
        .ok_or("no CipherData/CipherValue")?
        .text
        .split_whitespace()
        .collect::<String>();
    BASE64
        .decode(text.as_bytes())
        .map_err(|_| "the CipherValue is not base64".into())
}

/// `ValueMAC`: HMAC-SHA1 of the CipherValue's bytes under the MAC key (RFC 6030 §6.1.1).
fn check_mac(encrypted: &Node, mac: Option<&Node>, key: &[u8]) -> Result<(), String> {
    let mac = mac.ok_or("the encrypted Secret has no ValueMAC")?;
    let expected = BASE64
        .decode(mac.text.split_whitespace().collect::<String>().as_bytes())
        .map_err(|_| "the ValueMAC is not base64")?;
    let mut hmac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).map_err(|e| e.to_string())?;
    hmac.update(&cipher_value(encrypted)?);
    hmac.verify_slice(&expected)
        .map_err(|_| "the MAC does not match (a wrong key, or the file was changed)".into())
}

/// The plain bytes of an `EncryptedValue` or `MACKey` under the pre-shared key.
fn decrypt(node: &Node, psk: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, String> {
    let psk =
        psk.ok_or("the file is encrypted: give its pre-shared key (hex) on standard input")?;
    let algorithm = node
        .child("EncryptionMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .unwrap_or("");
    let data = cipher_value(node)?;
    if data.len() < 32 || data.len() % 16 != 0 {
        return Err("the CipherValue is not an IV and whole AES blocks".into());
    }
    let (iv, body) = data.split_at(16);
    let wrong_size = |bits| {
        format!(
            "an AES-{bits} file needs a pre-shared key of {} bytes",
            bits / 8
        )
    };
    let plain = match algorithm {
        AES128_CBC => cbc::Decryptor::<Aes128>::new_from_slices(psk, iv)
            .map_err(|_| wrong_size(128))?
            .decrypt_padded_vec::<Pkcs7>(body),
        AES256_CBC => cbc::Decryptor::<Aes256>::new_from_slices(psk, iv)
            .map_err(|_| wrong_size(256))?
            .decrypt_padded_vec::<Pkcs7>(body),
        other => {
            return Err(format!(
                "encryption {other:?} is not supported (AES-128-CBC and AES-256-CBC are)"
            ));
        }
    };
    plain
        .map(Zeroizing::new)
        .map_err(|_| "the value does not decrypt (a wrong pre-shared key?)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::HEXLOWER;

    /// RFC 6030 Figure 2: one HOTP key, plain.
    const FIGURE_2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" Id="exampleID1" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
      <Issuer>Issuer-A</Issuer>
      <Data>
        <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
        <Counter><PlainValue>0</PlainValue></Counter>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>"#;

    /// RFC 6030 Figure 6: AES-128-CBC under the pre-shared key 12345678901234567890123456789012,
    /// with HMAC-SHA1 MACs.
    const FIGURE_6: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
  <EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>
  <MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
    <MACKey>
      <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
      <xenc:CipherData>
        <xenc:CipherValue>
     ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX
        </xenc:CipherValue>
      </xenc:CipherData>
    </MACKey>
  </MACMethod>
  <KeyPackage>
    <DeviceInfo><Manufacturer>Manufacturer</Manufacturer><SerialNo>987654321</SerialNo></DeviceInfo>
    <CryptoModuleInfo><Id>CM_ID_001</Id></CryptoModuleInfo>
    <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
      <Issuer>Issuer</Issuer>
      <AlgorithmParameters><ResponseFormat Length="8" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret>
          <EncryptedValue>
            <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData>
              <xenc:CipherValue>
     AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv
              </xenc:CipherValue>
            </xenc:CipherData>
          </EncryptedValue>
          <ValueMAC>Su+NvtQfmvfJzF6bmQiJqoLRExc=
          </ValueMAC>
        </Secret>
        <Counter><PlainValue>0</PlainValue></Counter>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>"#;

    fn psk() -> Vec<u8> {
        HEXLOWER
            .decode(b"12345678901234567890123456789012")
            .unwrap()
    }

    #[test]
    fn rfc_6030_figure_2_plain() {
        let tokens = read(FIGURE_2, None).unwrap();
        assert_eq!(tokens.len(), 1);
        let t = &tokens[0];
        assert_eq!(t.serial, "12345678", "the key's Id without a SerialNo");
        assert_eq!(t.algorithm, Algorithm::Hotp { counter: 0 });
        assert_eq!(t.digits, 6);
        assert_eq!(t.secret.as_slice(), b"12345678901234567890");
    }

    #[test]
    fn rfc_6030_figure_6_encrypted_with_macs() {
        let tokens = read(FIGURE_6, Some(&psk())).unwrap();
        assert_eq!(tokens.len(), 1);
        let t = &tokens[0];
        assert_eq!(t.serial, "987654321");
        assert_eq!((t.algorithm, t.digits), (Algorithm::Hotp { counter: 0 }, 8));
        assert_eq!(t.secret.as_slice(), b"12345678901234567890");
    }

    #[test]
    fn a_wrong_or_missing_key_or_a_changed_file_is_refused() {
        assert!(matches!(read(FIGURE_6, None), Err(PskcError::Key(_))));
        let mut wrong = psk();
        wrong[0] ^= 1;
        assert!(read(FIGURE_6, Some(&wrong)).is_err());
        assert!(read(FIGURE_6, Some(&psk()[..8])).is_err());
        let changed = FIGURE_6.replace(
            "Su+NvtQfmvfJzF6bmQiJqoLRExc=",
            "Tu+NvtQfmvfJzF6bmQiJqoLRExc=",
        );
        let e = read(&changed, Some(&psk())).unwrap_err();
        assert!(
            e.to_string()
                .contains("KeyPackage 1 (serial 987654321): the MAC does not match"),
            "{e}"
        );
    }

    #[test]
    fn one_bad_package_refuses_the_file_and_names_it() {
        let two = FIGURE_2.replace(
            "</KeyContainer>",
            r#"<KeyPackage><DeviceInfo><SerialNo>SHORT1</SerialNo></DeviceInfo>
               <Key Id="2" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Data>
               <Secret><PlainValue>MTIzNDU2Nzg=</PlainValue></Secret></Data></Key></KeyPackage>
               </KeyContainer>"#,
        );
        let e = read(&two, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "KeyPackage 2 (serial SHORT1): the secret has 64 bits, fewer than 128; nothing was imported"
        );
        let twice = FIGURE_2.replace(
            "</KeyContainer>",
            &format!(
                "{}</KeyContainer>",
                &FIGURE_2[FIGURE_2.find("<KeyPackage>").unwrap()
                    ..FIGURE_2.find("</KeyContainer>").unwrap()]
            ),
        );
        let e = read(&twice, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("KeyPackage 2 (serial 12345678): this serial is in the file twice"),
            "{e}"
        );
        for (from, to, says) in [
            (":hotp\"", ":ocra\"", "algorithm"),
            (
                "<Counter><PlainValue>0",
                "<Counter><PlainValue>-1",
                "negative",
            ),
        ] {
            let e = read(&FIGURE_2.replace(from, to), None).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        }
    }

    #[test]
    fn totp_keys_take_their_step_and_drift_and_not_seven_digits() {
        let totp = FIGURE_2.replace(":hotp\"", ":totp\"").replace(
            "<Counter><PlainValue>0</PlainValue></Counter>",
            "<TimeInterval><PlainValue>60</PlainValue></TimeInterval>\
                 <TimeDrift><PlainValue>-4</PlainValue></TimeDrift>",
        );
        let t = &read(&totp, None).unwrap()[0];
        assert_eq!(
            t.algorithm,
            Algorithm::Totp {
                step: 60,
                drift: -4
            }
        );
        let seven = totp.replace(
            "<Data>",
            r#"<AlgorithmParameters><ResponseFormat Length="7" Encoding="DECIMAL"/></AlgorithmParameters><Data>"#,
        );
        assert!(
            read(&seven, None)
                .unwrap_err()
                .to_string()
                .contains("7-digit")
        );
    }

    #[test]
    fn not_pskc_a_dtd_or_an_entity_is_refused() {
        for bad in [
            "",
            "<KeyContainer Version=\"1.0\">",
            "<Other/>",
            "<!DOCTYPE x [<!ENTITY e \"x\">]><KeyContainer Version=\"1.0\"/>",
            "<KeyContainer Version=\"1.0\"><KeyPackage>&e;</KeyPackage></KeyContainer>",
            "<KeyContainer Version=\"2.0\"/>",
            "<KeyContainer Version=\"1.0\"/>",
        ] {
            assert!(
                matches!(read(bad, None), Err(PskcError::Format(_))),
                "{bad:?}"
            );
        }
    }
}
