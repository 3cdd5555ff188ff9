//! GeneralName (RFC 5280 §4.2.1.6), owned, for the name forms kyso evaluates.

use x509_parser::extensions::GeneralName as X509GeneralName;

use super::name::Name;

/// An owned GeneralName. The forms that path validation never evaluates keep only a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GeneralName {
    /// rfc822Name: an e-mail address, or a constraint host/domain.
    Email(String),
    /// dNSName.
    Dns(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// iPAddress: 4 or 16 bytes in a certificate, address and mask (8 or 32 bytes) in a name
    /// constraint.
    Ip(Vec<u8>),
    /// directoryName.
    Directory(Name),
    /// otherName: type-id (dotted) and the DER of the value.
    OtherName {
        /// type-id.
        type_id: String,
        /// The explicitly tagged value, as encoded.
        value: Vec<u8>,
    },
    /// x400Address, ediPartyName, registeredID or an undecodable name: the form's label.
    Other(&'static str),
}

impl GeneralName {
    /// Converts from x509-parser's borrowed form.
    pub fn from_x509(g: &X509GeneralName<'_>) -> GeneralName {
        match g {
            X509GeneralName::RFC822Name(s) => GeneralName::Email((*s).to_owned()),
            X509GeneralName::DNSName(s) => GeneralName::Dns((*s).to_owned()),
            X509GeneralName::URI(s) => GeneralName::Uri((*s).to_owned()),
            X509GeneralName::IPAddress(b) => GeneralName::Ip(b.to_vec()),
            X509GeneralName::DirectoryName(n) => GeneralName::Directory(Name::from_x509(n)),
            X509GeneralName::OtherName(oid, value) => GeneralName::OtherName {
                type_id: oid.to_id_string(),
                value: value.to_vec(),
            },
            X509GeneralName::X400Address(..) => GeneralName::Other("x400Address"),
            X509GeneralName::EDIPartyName(..) => GeneralName::Other("ediPartyName"),
            X509GeneralName::RegisteredID(..) => GeneralName::Other("registeredID"),
            X509GeneralName::Invalid(..) => GeneralName::Other("invalid"),
        }
    }

    /// Converts a list.
    pub fn list_from_x509(list: &[X509GeneralName<'_>]) -> Vec<GeneralName> {
        list.iter().map(GeneralName::from_x509).collect()
    }
}
