//! `mfa-resync device import-pskc` (issue 16), the real binary on either store: RFC 6030's
//! encrypted example imported with its pre-shared key on standard input; a file that holds a
//! serial the account has, or one bad package among good ones, imports nothing and names the
//! package; 10,000 tokens in one file. Files written by an independent implementation
//! (python-pskc) are imported in `end2end/aws/test_pskc.py`.

mod common;

use std::time::Instant;

use common::acknowledged::snapshot;
use common::*;

/// RFC 6030 Figure 6 (AES-128-CBC, HMAC-SHA1), its pre-shared key below.
const FIGURE_6: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
  <EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>
  <MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
    <MACKey>
      <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
      <xenc:CipherData><xenc:CipherValue>ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX</xenc:CipherValue></xenc:CipherData>
    </MACKey>
  </MACMethod>
  <KeyPackage>
    <DeviceInfo><Manufacturer>Manufacturer</Manufacturer><SerialNo>987654321</SerialNo></DeviceInfo>
    <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
      <AlgorithmParameters><ResponseFormat Length="8" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret>
          <EncryptedValue>
            <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData><xenc:CipherValue>AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv</xenc:CipherValue></xenc:CipherData>
          </EncryptedValue>
          <ValueMAC>Su+NvtQfmvfJzF6bmQiJqoLRExc=</ValueMAC>
        </Secret>
        <Counter><PlainValue>5</PlainValue></Counter>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>"#;
const PSK: &str = "12345678901234567890123456789012";

/// A plain PSKC file of TOTP tokens `PSKC00000000`… with 160-bit seeds; `bad` names one package
/// (0-based) whose seed is cut to 64 bits.
fn totp_file(n: usize, bad: Option<usize>) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">"#,
    );
    for i in 0..n {
        let seed = if Some(i) == bad {
            "MTIzNDU2Nzg="
        } else {
            "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA="
        };
        xml.push_str(&format!(
            r#"<KeyPackage><DeviceInfo><SerialNo>PSKC{i:08}</SerialNo></DeviceInfo>
            <Key Id="k{i}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Data>
            <Secret><PlainValue>{seed}</PlainValue></Secret>
            <TimeInterval><PlainValue>30</PlainValue></TimeInterval>
            <TimeDrift><PlainValue>-2</PlainValue></TimeDrift></Data></Key></KeyPackage>"#
        ));
    }
    xml.push_str("</KeyContainer>");
    xml
}

#[tokio::test]
async fn pskc_files_are_imported_whole_or_not_at_all() {
    let server = Server::start();
    let file = server.dir.path().join("tokens.pskc");
    std::fs::write(&file, FIGURE_6).unwrap();
    let path = file.to_str().unwrap();
    let args = ["device", "import-pskc", "--account", "demo", path];
    // Without its key: refused, nothing stored.
    let (ok, _, err) = server.cli_status(&args, Some(""));
    assert!(!ok);
    assert!(err.contains("pre-shared key"), "{err}");
    let before = snapshot(&server).await.devices.len();
    let out = server.cli(&args, Some(PSK));
    assert_eq!(out.trim(), "imported 1 hardware token(s) into demo");
    let snap = snapshot(&server).await;
    assert_eq!(snap.devices.len(), before + 1);
    let token = snap.device("987654321");
    assert_eq!((token.owner.as_deref(), token.failures), (None, 0));
    // Again: the serial is the account's already, the package is named, nothing changes.
    let (ok, _, err) = server.cli_status(&args, Some(PSK));
    assert!(!ok);
    assert!(
        err.contains("KeyPackage 1 (serial 987654321): the account has a device with this serial"),
        "{err}"
    );
    // One bad package among 50: none of them.
    std::fs::write(&file, totp_file(50, Some(37))).unwrap();
    let (ok, _, err) = server.cli_status(&args, None);
    assert!(!ok);
    assert!(
        err.contains("KeyPackage 38 (serial PSKC00000037): the secret has 64 bits"),
        "{err}"
    );
    assert_eq!(snapshot(&server).await.devices.len(), before + 1);
    // 10,000 tokens: imported, each unassigned with its drift (the time is printed, not
    // asserted: machines differ).
    std::fs::write(&file, totp_file(10_000, None)).unwrap();
    let started = Instant::now();
    let out = server.cli(&args, None);
    eprintln!("10,000 PSKC tokens imported in {:?}", started.elapsed());
    assert_eq!(out.trim(), "imported 10000 hardware token(s) into demo");
    let snap = snapshot(&server).await;
    assert_eq!(snap.devices.len(), before + 10_001);
    let last = snap.device("PSKC00009999");
    assert_eq!((last.drift_steps, last.owner.as_deref()), (-2, None));
    // The server beside the imports served on.
    assert_eq!(server.client().sign_in("bob").await.status, 200);
    server.finish();
}
