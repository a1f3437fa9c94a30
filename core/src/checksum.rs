//! S3's additional checksums of a multipart upload: the algorithm and type chosen when it is
//! created, and the object's checksum built from the parts' checksums when it completes.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use crc_fast::CrcAlgorithm;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// A checksum algorithm of S3 (`x-amz-checksum-algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// How a multipart object's checksum is made from its parts (`x-amz-checksum-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumType {
    /// The checksum of the parts' checksums, then `-` and the part count.
    Composite,
    /// The CRC of the whole object, combined from the parts' CRCs.
    FullObject,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ChecksumError {
    #[error("unsupported checksum algorithm {0}")]
    UnknownAlgorithm(String),
    #[error("unsupported checksum type {0}")]
    UnknownType(String),
    #[error("the checksum type {kind} is not supported for the {algorithm} algorithm")]
    Unsupported { algorithm: &'static str, kind: &'static str },
    #[error("the checksum type can only be given with a checksum algorithm")]
    TypeWithoutAlgorithm,
    #[error("checksum {0:?} is not valid base64 of the algorithm's length")]
    Malformed(String),
}

impl ChecksumAlgorithm {
    /// Every algorithm we compute.
    pub const ALL: [Self; 5] = [Self::Crc32, Self::Crc32c, Self::Crc64Nvme, Self::Sha1, Self::Sha256];

    /// Parses S3's name (`CRC32`, `SHA256`…), in any case.
    pub fn parse(name: &str) -> Result<Self, ChecksumError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ChecksumError::UnknownAlgorithm(name.to_string()))
    }

    /// S3's name: `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The name under which a checksum of this algorithm is recorded (`x-amz-checksum-<key>`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Crc32 => "crc32",
            Self::Crc32c => "crc32c",
            Self::Crc64Nvme => "crc64nvme",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
        }
    }

    fn crc(self) -> Option<CrcAlgorithm> {
        match self {
            Self::Crc32 => Some(CrcAlgorithm::Crc32IsoHdlc),
            Self::Crc32c => Some(CrcAlgorithm::Crc32Iscsi),
            Self::Crc64Nvme => Some(CrcAlgorithm::Crc64Nvme),
            Self::Sha1 | Self::Sha256 => None,
        }
    }

    /// Length of the raw digest in bytes.
    fn len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self.crc() {
            Some(crc) => {
                let sum = crc_fast::checksum(crc, data);
                sum.to_be_bytes()[8 - self.len()..].to_vec()
            }
            None if self == Self::Sha1 => Sha1::digest(data).to_vec(),
            None => Sha256::digest(data).to_vec(),
        }
    }

    fn decode(self, b64: &str) -> Result<Vec<u8>, ChecksumError> {
        BASE64
            .decode(b64.trim())
            .ok()
            .filter(|raw| raw.len() == self.len())
            .ok_or_else(|| ChecksumError::Malformed(b64.to_string()))
    }
}

impl ChecksumType {
    /// Parses S3's name, `COMPOSITE` or `FULL_OBJECT`.
    pub fn parse(name: &str) -> Result<Self, ChecksumError> {
        match name.trim().to_ascii_uppercase().as_str() {
            "COMPOSITE" => Ok(Self::Composite),
            "FULL_OBJECT" => Ok(Self::FullObject),
            _ => Err(ChecksumError::UnknownType(name.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Composite => "COMPOSITE",
            Self::FullObject => "FULL_OBJECT",
        }
    }
}

/// The checksum a multipart upload was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadChecksum {
    pub algorithm: ChecksumAlgorithm,
    pub kind: ChecksumType,
}

impl UploadChecksum {
    /// The algorithm and type of CreateMultipartUpload. The type defaults as in S3: FULL_OBJECT
    /// for CRC64NVME (which has no composite form), COMPOSITE otherwise; SHA checksums cannot
    /// be combined into a full-object one.
    pub fn parse(algorithm: Option<&str>, kind: Option<&str>) -> Result<Option<Self>, ChecksumError> {
        let Some(algorithm) = algorithm.map(ChecksumAlgorithm::parse).transpose()? else {
            return match kind {
                Some(_) => Err(ChecksumError::TypeWithoutAlgorithm),
                None => Ok(None),
            };
        };
        let kind = match kind.map(ChecksumType::parse).transpose()? {
            Some(kind) => kind,
            None if algorithm == ChecksumAlgorithm::Crc64Nvme => ChecksumType::FullObject,
            None => ChecksumType::Composite,
        };
        let supported = match kind {
            ChecksumType::Composite => algorithm != ChecksumAlgorithm::Crc64Nvme,
            ChecksumType::FullObject => algorithm.crc().is_some(),
        };
        if !supported {
            return Err(ChecksumError::Unsupported { algorithm: algorithm.as_str(), kind: kind.as_str() });
        }
        Ok(Some(Self { algorithm, kind }))
    }

    /// The object's checksum from its parts' checksums (base64) and sizes, in part order.
    pub fn combine(self, parts: &[(&str, u64)]) -> Result<String, ChecksumError> {
        match (self.kind, self.algorithm.crc()) {
            (ChecksumType::FullObject, Some(crc)) => {
                let mut whole: Option<u64> = None;
                for (b64, size) in parts {
                    let raw = self.algorithm.decode(b64)?;
                    let sum = raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
                    whole = Some(match whole {
                        None => sum,
                        Some(before) => crc_fast::checksum_combine(crc, before, sum, *size),
                    });
                }
                let whole = whole.unwrap_or_else(|| crc_fast::checksum(crc, b""));
                Ok(BASE64.encode(&whole.to_be_bytes()[8 - self.algorithm.len()..]))
            }
            _ => {
                let mut raw = Vec::with_capacity(parts.len() * self.algorithm.len());
                for (b64, _) in parts {
                    raw.extend(self.algorithm.decode(b64)?);
                }
                Ok(format!("{}-{}", BASE64.encode(self.algorithm.digest(&raw)), parts.len()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
        BASE64.encode(algorithm.digest(data))
    }

    fn upload(algorithm: &str, kind: Option<&str>) -> UploadChecksum {
        UploadChecksum::parse(Some(algorithm), kind).unwrap().unwrap()
    }

    /// Three 5 MiB parts of 'A', 'B' and 'C', as in ceph's s3-tests.
    fn abc() -> Vec<Vec<u8>> {
        [b'A', b'B', b'C'].iter().map(|c| vec![*c; 5 * 1024 * 1024]).collect()
    }

    #[test]
    fn types_default_and_refuse_what_s3_refuses() {
        assert_eq!(UploadChecksum::parse(None, None), Ok(None));
        assert_eq!(upload("sha256", None).kind, ChecksumType::Composite);
        assert_eq!(upload("CRC32", None).kind, ChecksumType::Composite);
        assert_eq!(upload("CRC64NVME", None).kind, ChecksumType::FullObject);
        assert_eq!(upload("CRC32C", Some("FULL_OBJECT")).kind, ChecksumType::FullObject);
        assert!(UploadChecksum::parse(Some("SHA1"), Some("FULL_OBJECT")).is_err());
        assert!(UploadChecksum::parse(Some("CRC64NVME"), Some("COMPOSITE")).is_err());
        assert!(UploadChecksum::parse(Some("MD5"), None).is_err());
        assert!(UploadChecksum::parse(Some("CRC32"), Some("PARTIAL")).is_err());
        assert_eq!(UploadChecksum::parse(None, Some("COMPOSITE")), Err(ChecksumError::TypeWithoutAlgorithm));
    }

    #[test]
    fn full_object_crcs_equal_the_crc_of_the_whole_data() {
        let parts: Vec<Vec<u8>> = vec![b"hello ".to_vec(), vec![7u8; 100_003], b"".to_vec(), b"world".to_vec()];
        let whole = parts.concat();
        for name in ["CRC32", "CRC32C", "CRC64NVME"] {
            let u = upload(name, Some("FULL_OBJECT"));
            let sums: Vec<String> = parts.iter().map(|p| b64(u.algorithm, p)).collect();
            let listed: Vec<(&str, u64)> = sums.iter().zip(&parts).map(|(s, p)| (s.as_str(), p.len() as u64)).collect();
            assert_eq!(u.combine(&listed).unwrap(), b64(u.algorithm, &whole), "{name}");
        }
    }

    #[test]
    fn checksums_match_the_values_of_ceph_s3_tests() {
        let parts = abc();
        let cases = [
            ("CRC32", "FULL_OBJECT", ["JRTCyQ==", "QoZTGg==", "YAgjqw=="], "WgDhBQ=="),
            ("CRC32C", "FULL_OBJECT", ["MDaLrw==", "TH4EZg==", "Z7mBIQ=="], "xU+Krw=="),
            ("CRC64NVME", "FULL_OBJECT", ["L/E4WYn8v98=", "xW1l19VobYM=", "cK5MnNaWrW4="], "i+6LR0y3eFo="),
            (
                "SHA1",
                "COMPOSITE",
                ["iIaTCGbm+vdVjNqIMF2S0T7ibMk=", "LS/TJ32bAVKEwRu+sE3X7awh/lk=", "6DDwovUaHwrKNXDMzOGbuvj9kxI="],
                "sizjvY4eud3MrcHdZM3cQ/ol39o=-3",
            ),
            (
                "SHA256",
                "COMPOSITE",
                [
                    "275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI=",
                    "mrHwOfjTL5Zwfj74F05HOQGLdUb7E5szdCbxgUSq6NM=",
                    "Vw7oB/nKQ5xWb3hNgbyfkvDiivl+U+/Dft48nfJfDow=",
                ],
                "uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3",
            ),
        ];
        for (name, kind, part_sums, object_sum) in cases {
            let u = upload(name, Some(kind));
            for (data, sum) in parts.iter().zip(part_sums) {
                assert_eq!(b64(u.algorithm, data), sum, "{name} part");
            }
            let listed: Vec<(&str, u64)> = part_sums.iter().map(|s| (*s, 5 * 1024 * 1024)).collect();
            assert_eq!(u.combine(&listed).unwrap(), object_sum, "{name}");
        }
    }

    #[test]
    fn composite_crc32_is_the_crc_of_the_part_crcs() {
        let u = upload("CRC32", None);
        let (a, b) = (b64(u.algorithm, b"a"), b64(u.algorithm, b"b"));
        let mut raw = u.algorithm.decode(&a).unwrap();
        raw.extend(u.algorithm.decode(&b).unwrap());
        assert_eq!(u.combine(&[(&a, 1), (&b, 1)]).unwrap(), format!("{}-2", b64(u.algorithm, &raw)));
    }

    #[test]
    fn malformed_part_checksums_are_refused() {
        let u = upload("SHA256", None);
        assert!(matches!(u.combine(&[("not base64!", 1)]), Err(ChecksumError::Malformed(_))));
        assert!(matches!(u.combine(&[("AAAA", 1)]), Err(ChecksumError::Malformed(_))));
    }
}
