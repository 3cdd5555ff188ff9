//! A running RFC 3161 time-stamp authority: the key, certificate and policy of
//! [`crate::cms::respond`] plus what the pure library leaves to its caller — the clock and
//! unique serial numbers. Serves the `/tsa` endpoint and, in process, signers of closed
//! deployments and development mode.

use std::sync::atomic::{AtomicU64, Ordering};

use openssl::pkey::PKey;
use time::OffsetDateTime;

use crate::cms::{
    rejection, respond, timestamp_request, token_from_response, CmsError, DigestAlgorithm,
    PKeySigner, TimestampAuthority, TimestampRequest, TsaFailure,
};
use crate::pades::{PadesError, Timestamper};
use crate::pki::source::load_certificates;

/// The policy OID stated in tokens when none is configured: under the arc kyso's tests and
/// demo use (a private enterprise number placeholder), not a real registered policy.
pub const DEFAULT_POLICY: &str = "1.3.6.1.4.1.99999.1";

/// Random bytes that start every serial number, so that serials stay unique across restarts
/// (the counter after them starts at zero each time): 64 bits make a collision between two
/// runs negligible.
const SERIAL_PREFIX_LEN: usize = 8;

/// An authority with its key.
pub struct LocalAuthority {
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    policy: String,
    signer: PKeySigner,
    prefix: [u8; SERIAL_PREFIX_LEN],
    counter: AtomicU64,
}

impl std::fmt::Debug for LocalAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalAuthority")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// What an answer to a request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A granted TimeStampResp.
    Granted(Vec<u8>),
    /// A rejection TimeStampResp for a request that could not be read at all.
    Unreadable(Vec<u8>),
    /// A rejection TimeStampResp for a readable request the authority refuses.
    Refused(Vec<u8>),
}

impl LocalAuthority {
    /// An authority from PEM: the TSA certificate (first in `cert_pem`, the rest its chain),
    /// further chain certificates, and its unencrypted private key.
    pub fn from_pem(
        cert_pem: &[u8],
        chain_pem: &[u8],
        key_pem: &[u8],
        policy: &str,
    ) -> Result<LocalAuthority, CmsError> {
        let mut certs = load_certificates(cert_pem)
            .map_err(|_| CmsError::BadCertificate)?
            .into_iter()
            .map(|c| c.der().to_vec());
        let certificate = certs.next().ok_or(CmsError::BadCertificate)?;
        let mut chain: Vec<Vec<u8>> = certs.collect();
        if !chain_pem.is_empty() {
            chain.extend(
                load_certificates(chain_pem)
                    .map_err(|_| CmsError::BadCertificate)?
                    .iter()
                    .map(|c| c.der().to_vec()),
            );
        }
        let key =
            PKey::private_key_from_pem(key_pem).map_err(|e| CmsError::Crypto(e.to_string()))?;
        let signer = PKeySigner::with_default_algorithm(key)?;
        let mut prefix = [0u8; SERIAL_PREFIX_LEN];
        openssl::rand::rand_bytes(&mut prefix).map_err(|e| CmsError::Crypto(e.to_string()))?;
        Ok(LocalAuthority {
            certificate,
            chain,
            policy: policy.to_owned(),
            signer,
            prefix,
            counter: AtomicU64::new(0),
        })
    }

    /// A fresh serial number: the random prefix (top bit cleared, so positive, and never
    /// zero) then the counter.
    fn next_serial(&self) -> Vec<u8> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut serial = self.prefix.to_vec();
        if let Some(first) = serial.first_mut() {
            *first = (*first & 0x7F) | 0x40;
        }
        serial.extend_from_slice(&n.to_be_bytes());
        serial
    }

    /// Answers a DER TimeStampReq at `now`.
    pub fn answer(&self, request: &[u8], now: OffsetDateTime) -> Result<Answer, CmsError> {
        match TimestampRequest::parse(request, &self.policy) {
            Ok(_) => {
                let authority = TimestampAuthority {
                    certificate: &self.certificate,
                    chain: &self.chain,
                    policy: &self.policy,
                    accuracy_seconds: Some(1),
                };
                let response =
                    respond(request, &authority, &self.signer, &self.next_serial(), now)?;
                Ok(Answer::Granted(response))
            }
            Err(TsaFailure::BadRequest) => {
                Ok(Answer::Unreadable(rejection(TsaFailure::BadRequest)))
            }
            Err(other) => Ok(Answer::Refused(rejection(other))),
        }
    }
}

impl Timestamper for LocalAuthority {
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, PadesError> {
        let request = timestamp_request(DigestAlgorithm::Sha256, digest, None, true)?;
        match self.answer(&request, OffsetDateTime::now_utc())? {
            Answer::Granted(resp) => Ok(token_from_response(&resp)?),
            Answer::Unreadable(_) | Answer::Refused(_) => Err(PadesError::Timestamp(
                "the local authority refused its own request".into(),
            )),
        }
    }
}
