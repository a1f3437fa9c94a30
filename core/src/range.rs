//! Byte ranges as clients ask for them (`Range: bytes=…`, RFC 9110 §14.1.2; S3 takes one range
//! per request), resolved against an object's size. Every surface that reads part of an object
//! (GetObject, HeadObject, UploadPartCopy's `x-amz-copy-source-range`, the REST download)
//! resolves its range here, so an edge case (an empty object, a suffix longer than the object)
//! is answered the same everywhere and never reaches arithmetic that could overflow.

use thiserror::Error;

use crate::storage::ByteRange;

/// One range of a `bytes=` request, before it meets the object's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=first-last` (`last` inclusive) or `bytes=first-` (`last` = `None`).
    FromTo { first: u64, last: Option<u64> },
    /// `bytes=-n`: the last `n` bytes.
    Suffix { length: u64 },
}

/// Why a range cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RangeError {
    /// Not of the form `bytes=a-b`, `bytes=a-` or `bytes=-n` (S3: `InvalidArgument` /
    /// `InvalidRange` depending on the surface).
    #[error("the range is not of the form bytes=first-last, bytes=first- or bytes=-length")]
    Malformed,
    /// Well-formed, but no byte of the object is in it: 416 with `Content-Range: bytes */size`.
    #[error("the range is not satisfiable")]
    Unsatisfiable,
}

impl RangeRequest {
    /// Parses one `bytes=` range. Several ranges (`bytes=0-1,5-6`), another unit, signs,
    /// spaces inside numbers, `last < first` and numbers past `i64::MAX` are all
    /// [`RangeError::Malformed`].
    pub fn parse(raw: &str) -> Result<Self, RangeError> {
        let spec = raw.trim().strip_prefix("bytes=").ok_or(RangeError::Malformed)?.trim();
        let (a, b) = spec.split_once('-').ok_or(RangeError::Malformed)?;
        let number = |s: &str| -> Result<u64, RangeError> {
            if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                return Err(RangeError::Malformed);
            }
            s.parse::<u64>().ok().filter(|n| i64::try_from(*n).is_ok()).ok_or(RangeError::Malformed)
        };
        if a.is_empty() {
            return Ok(RangeRequest::Suffix { length: number(b)? });
        }
        let first = number(a)?;
        if b.is_empty() {
            return Ok(RangeRequest::FromTo { first, last: None });
        }
        let last = number(b)?;
        if last < first {
            return Err(RangeError::Malformed);
        }
        Ok(RangeRequest::FromTo { first, last: Some(last) })
    }

    /// The bytes of an object of `size` bytes this range names: a `last` past the end is cut
    /// to the end, and a suffix longer than the object is the whole object (RFC 9110
    /// §14.1.2). A range that names no byte of it (a `first` at or past the end, a suffix of
    /// 0, any range of an empty object) is [`RangeError::Unsatisfiable`].
    pub fn resolve(self, size: u64) -> Result<ByteRange, RangeError> {
        let last_byte = size.checked_sub(1).ok_or(RangeError::Unsatisfiable)?;
        match self {
            RangeRequest::FromTo { first, last } => {
                let last = last.map_or(last_byte, |l| l.min(last_byte));
                if first > last {
                    return Err(RangeError::Unsatisfiable);
                }
                Ok(ByteRange { start: first, end_inclusive: last })
            }
            RangeRequest::Suffix { length: 0 } => Err(RangeError::Unsatisfiable),
            RangeRequest::Suffix { length } => {
                Ok(ByteRange { start: size - length.min(size), end_inclusive: last_byte })
            }
        }
    }
}

/// The `Content-Range` of a 416 answer for an object of `size` bytes.
pub fn unsatisfied_content_range(size: u64) -> String {
    format!("bytes */{size}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes a range names, by brute force over every byte of the object.
    fn model(request: RangeRequest, size: u64) -> Vec<u64> {
        (0..size)
            .filter(|&i| match request {
                RangeRequest::FromTo { first, last } => i >= first && last.is_none_or(|l| i <= l),
                RangeRequest::Suffix { length } => i + length >= size,
            })
            .collect()
    }

    /// Every range form over small sizes: what `resolve` answers is exactly the bytes the
    /// request names, or unsatisfiable when it names none; nothing panics (tests build with
    /// overflow checks).
    #[test]
    fn resolve_agrees_with_brute_force_for_every_form_and_size() {
        let edges = [0, 1, 2, 3, 5, 8, 9, 10, 11, 64, u64::MAX / 2, i64::MAX as u64];
        let mut requests = vec![];
        for &a in &edges {
            requests.push(RangeRequest::Suffix { length: a });
            requests.push(RangeRequest::FromTo { first: a, last: None });
            for &b in edges.iter().filter(|&&b| b >= a) {
                requests.push(RangeRequest::FromTo { first: a, last: Some(b) });
            }
        }
        for size in (0..=12).chain([u64::MAX / 2]) {
            for &request in &requests {
                let got = request.resolve(size);
                if size > 64 {
                    // Too large to enumerate: check the bounds instead.
                    if let Ok(r) = got {
                        assert!(r.start <= r.end_inclusive && r.end_inclusive < size, "{request:?} of {size}");
                    }
                    continue;
                }
                let want = model(request, size);
                match got {
                    Ok(r) => {
                        let bytes: Vec<u64> = (r.start..=r.end_inclusive).collect();
                        assert_eq!(bytes, want, "{request:?} of {size}");
                        assert_eq!(r.len(), want.len() as u64);
                    }
                    Err(e) => {
                        assert_eq!(e, RangeError::Unsatisfiable, "{request:?} of {size}");
                        assert!(want.is_empty(), "{request:?} of {size} names {want:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn parse_takes_the_three_forms_and_refuses_the_rest() {
        use RangeRequest::*;
        assert_eq!(RangeRequest::parse("bytes=0-9"), Ok(FromTo { first: 0, last: Some(9) }));
        assert_eq!(RangeRequest::parse("bytes=5-"), Ok(FromTo { first: 5, last: None }));
        assert_eq!(RangeRequest::parse("bytes=-1"), Ok(Suffix { length: 1 }));
        assert_eq!(RangeRequest::parse("bytes=-0"), Ok(Suffix { length: 0 }));
        assert_eq!(RangeRequest::parse(" bytes=3-3 "), Ok(FromTo { first: 3, last: Some(3) }));
        for bad in [
            "",
            "bytes=",
            "bytes=-",
            "bytes=5-4",
            "bytes=a-b",
            "bytes=0-1,3-4",
            "bytes=+1-2",
            "bytes=1--2",
            "bytes=--1",
            "items=0-1",
            "0-1",
            "bytes=9223372036854775808-",
            "bytes=99999999999999999999999-",
            "bytes=1 -2",
        ] {
            assert_eq!(RangeRequest::parse(bad), Err(RangeError::Malformed), "{bad:?}");
        }
    }
}
