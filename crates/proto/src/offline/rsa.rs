//! The RSA public-key operation (`s^e mod n`) and the two RSA paddings ring cannot check
//! for Keygen:
//!
//! * RSASSA-PSS with SHA-256/MGF1-SHA-256 and *any* salt length (RFC 8017 §9.1.2 with the
//!   salt length recovered from the encoding, OpenSSL's `RSA_PSS_SALTLEN_AUTO`). Keygen signs
//!   with the maximal salt (222 bytes for RSA-2048); ring only accepts a 32-byte salt.
//! * PKCS#1 v1.5 type-1 "public decrypt", which recovers the dataset of an
//!   `RSA_2048_PKCS1_ENCRYPT` license key (OpenSSL's `RSA_public_decrypt`).
//!
//! Every input here is public (key, signature, message), so the arithmetic is plain
//! variable-time Montgomery multiplication over 64-bit limbs. PKCS#1 v1.5 SHA-256
//! signatures are verified by ring, not here.

use sha2::{Digest, Sha256};

/// Smallest accepted modulus, in bits (ring's floor for RSA verification).
const MIN_BITS: usize = 2048;
/// Largest accepted modulus, in bits (bounds the work an input can cause).
const MAX_BITS: usize = 8192;
/// SHA-256 output length.
const H_LEN: usize = 32;

/// An RSA public key prepared for the public operation.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RsaPublic {
    /// Modulus limbs, least significant first.
    n: Vec<u64>,
    /// `-n^-1 mod 2^64`.
    n0_inv: u64,
    /// `R^2 mod n` with `R = 2^(64 * limbs)`.
    r2: Vec<u64>,
    /// Public exponent.
    e: u64,
    /// Modulus length in bits.
    bits: usize,
}

impl RsaPublic {
    /// Prepares a key from big-endian `n` and `e` (no leading zeros). Rejects moduli outside
    /// 2048..=8192 bits, even moduli and exponents that are even, < 3 or >= 2^33 (ring's rules).
    pub(crate) fn new(n_be: &[u8], e_be: &[u8]) -> Option<Self> {
        if n_be.first() == Some(&0) || e_be.first() == Some(&0) || e_be.len() > 8 {
            return None;
        }
        let bits = bit_length(n_be);
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return None;
        }
        let e = e_be.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if !(3..(1 << 33)).contains(&e) || e % 2 == 0 {
            return None;
        }
        let n = limbs_from_be(n_be, n_be.len().div_ceil(8));
        let n0 = *n.first()?;
        if n0 % 2 == 0 {
            return None;
        }
        // Newton iteration: each step doubles the number of correct low bits (1 → 64).
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(inv)));
        }
        let r2 = r_squared(&n);
        Some(RsaPublic {
            n0_inv: inv.wrapping_neg(),
            r2,
            e,
            bits,
            n,
        })
    }

    /// Modulus length in bits.
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    /// Modulus length in bytes (`k` in RFC 8017).
    pub(crate) fn len(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// Computes `sig^e mod n` as a `k`-byte big-endian string. `None` if the signature is not
    /// exactly `k` bytes or is not less than `n`.
    pub(crate) fn public_op(&self, sig: &[u8]) -> Option<Vec<u8>> {
        let k = self.len();
        if sig.len() != k {
            return None;
        }
        let s = limbs_from_be(sig, self.n.len());
        if compare(&s, &self.n) != std::cmp::Ordering::Less {
            return None;
        }
        let base = self.mont_mul(&s, &self.r2);
        let mut acc = base.clone();
        let top = 63 - self.e.leading_zeros();
        for bit in (0..top).rev() {
            acc = self.mont_mul(&acc, &acc);
            if (self.e >> bit) & 1 == 1 {
                acc = self.mont_mul(&acc, &base);
            }
        }
        let mut one = vec![0u64; self.n.len()];
        if let Some(first) = one.first_mut() {
            *first = 1;
        }
        let m = self.mont_mul(&acc, &one);
        Some(limbs_to_be(&m, k))
    }

    /// Montgomery product `a * b / R mod n` (CIOS); inputs and output are `< n`.
    fn mont_mul(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let len = self.n.len();
        let mut t = vec![0u64; len + 2];
        for &ai in a.iter().take(len) {
            let mut carry = 0u128;
            for (tj, &bj) in t.iter_mut().zip(b.iter()).take(len) {
                let sum = u128::from(*tj) + u128::from(ai) * u128::from(bj) + carry;
                *tj = sum as u64;
                carry = sum >> 64;
            }
            let sum = u128::from(t[len]) + carry;
            t[len] = sum as u64;
            t[len + 1] = (sum >> 64) as u64;

            let m = t[0].wrapping_mul(self.n0_inv);
            let mut carry = (u128::from(t[0]) + u128::from(m) * u128::from(self.n[0])) >> 64;
            for j in 1..len {
                let sum = u128::from(t[j]) + u128::from(m) * u128::from(self.n[j]) + carry;
                t[j - 1] = sum as u64;
                carry = sum >> 64;
            }
            let sum = u128::from(t[len]) + carry;
            t[len - 1] = sum as u64;
            t[len] = t[len + 1].wrapping_add((sum >> 64) as u64);
            t[len + 1] = 0;
        }
        let overflow = t[len] != 0;
        t.truncate(len);
        if overflow || compare(&t, &self.n) != std::cmp::Ordering::Less {
            sub_assign(&mut t, &self.n);
        }
        t
    }
}

impl std::fmt::Debug for RsaPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPublic({} bits, e = {})", self.bits, self.e)
    }
}

/// Number of significant bits of a big-endian integer without leading zero bytes.
fn bit_length(be: &[u8]) -> usize {
    match be.first() {
        Some(&first) => (be.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

/// Big-endian bytes to `count` little-endian limbs (extra high bytes are ignored; callers
/// pass at most `8 * count` bytes).
fn limbs_from_be(be: &[u8], count: usize) -> Vec<u64> {
    let mut limbs = vec![0u64; count];
    for (i, &byte) in be.iter().rev().enumerate() {
        if let Some(limb) = limbs.get_mut(i / 8) {
            *limb |= u64::from(byte) << (8 * (i % 8));
        }
    }
    limbs
}

/// Little-endian limbs to a big-endian string of exactly `len` bytes (high bytes dropped).
fn limbs_to_be(limbs: &[u64], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for (i, slot) in out.iter_mut().rev().enumerate() {
        let limb = limbs.get(i / 8).copied().unwrap_or(0);
        *slot = (limb >> (8 * (i % 8))) as u8;
    }
    out
}

fn compare(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        match x.cmp(y) {
            std::cmp::Ordering::Equal => continue,
            other => return other,
        }
    }
    std::cmp::Ordering::Equal
}

/// `a -= b` modulo `2^(64 * len)`.
fn sub_assign(a: &mut [u64], b: &[u64]) {
    let mut borrow = false;
    for (x, &y) in a.iter_mut().zip(b.iter()) {
        let (d1, b1) = x.overflowing_sub(y);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
}

/// `R^2 mod n` by doubling 1 modulo `n`, `2 * 64 * limbs` times.
fn r_squared(n: &[u64]) -> Vec<u64> {
    let mut r = vec![0u64; n.len()];
    if let Some(first) = r.first_mut() {
        *first = 1;
    }
    for _ in 0..(128 * n.len()) {
        let mut carry = 0u64;
        for limb in r.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if carry == 1 || compare(&r, n) != std::cmp::Ordering::Less {
            sub_assign(&mut r, n);
        }
    }
    r
}

/// MGF1 with SHA-256, XORed into `out`.
fn mgf1_xor(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in out.chunks_mut(H_LEN).enumerate() {
        let mut h = Sha256::new();
        h.update(seed);
        h.update((counter as u32).to_be_bytes());
        for (o, m) in chunk.iter_mut().zip(h.finalize().iter()) {
            *o ^= m;
        }
    }
}

/// Verifies an RSASSA-PSS (SHA-256, MGF1-SHA-256) signature, accepting any salt length.
pub(crate) fn verify_pss_sha256(key: &RsaPublic, message: &[u8], sig: &[u8]) -> bool {
    let Some(m) = key.public_op(sig) else {
        return false;
    };
    let em_bits = key.bits - 1;
    let em_len = em_bits.div_ceil(8);
    // When emBits is a multiple of 8 the integer has a leading zero byte beyond EM.
    let Some((leading, em)) = m.split_at_checked(m.len() - em_len) else {
        return false;
    };
    if leading.iter().any(|&b| b != 0) || em_len < H_LEN + 2 {
        return false;
    }
    if em.last() != Some(&0xbc) {
        return false;
    }
    let db_len = em_len - H_LEN - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let h = &rest[..H_LEN];
    let top_mask = 0xffu8 >> (8 * em_len - em_bits);
    if masked_db.first().is_some_and(|&b| b & !top_mask != 0) {
        return false;
    }
    let mut db = masked_db.to_vec();
    mgf1_xor(h, &mut db);
    if let Some(first) = db.first_mut() {
        *first &= top_mask;
    }
    // DB = PS (zeros) || 0x01 || salt
    let Some(sep) = db.iter().position(|&b| b != 0) else {
        return false;
    };
    if db[sep] != 0x01 {
        return false;
    }
    let salt = &db[sep + 1..];
    let m_hash = Sha256::digest(message);
    let mut hasher = Sha256::new();
    hasher.update([0u8; 8]);
    hasher.update(m_hash);
    hasher.update(salt);
    hasher.finalize().as_slice() == h
}

/// Recovers the payload of a PKCS#1 v1.5 type-1 block (`00 01 FF…FF 00 data`, at least
/// eight `FF`), i.e. OpenSSL's `RSA_public_decrypt` with `RSA_PKCS1_PADDING`.
pub(crate) fn recover_pkcs1_type1(key: &RsaPublic, sig: &[u8]) -> Option<Vec<u8>> {
    let em = key.public_op(sig)?;
    let body = em.strip_prefix(&[0x00, 0x01])?;
    let sep = body.iter().position(|&b| b != 0xff)?;
    if sep < 8 || body.get(sep) != Some(&0x00) {
        return None;
    }
    Some(body.get(sep + 1..)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mod_pow_u128(base: u64, exp: u64, n: u64) -> u64 {
        let n = u128::from(n);
        let mut acc = 1u128;
        let mut b = u128::from(base) % n;
        let mut e = exp;
        while e > 0 {
            if e & 1 == 1 {
                acc = acc * b % n;
            }
            b = b * b % n;
            e >>= 1;
        }
        acc as u64
    }

    /// Builds a key object around a small modulus, bypassing the size floor, to compare the
    /// Montgomery arithmetic with u128 arithmetic.
    fn small_key(n: u64, e: u64) -> RsaPublic {
        let limbs = vec![n];
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n.wrapping_mul(inv)));
        }
        RsaPublic {
            r2: r_squared(&limbs),
            n: limbs,
            n0_inv: inv.wrapping_neg(),
            e,
            bits: 64 - n.leading_zeros() as usize,
        }
    }

    #[test]
    fn montgomery_matches_naive_arithmetic() {
        let cases = [
            (0xffff_ffff_ffff_ffc5u64, 65537u64, 0x1234_5678_9abc_def0u64),
            (0x8000_0000_0000_0001, 3, 0x7fff_ffff_ffff_ffff),
            (0xd8b1_f4e9_3c2a_7b05, 65537, 2),
            (0xd8b1_f4e9_3c2a_7b05, 17, 0),
            (0x9e37_79b9_7f4a_7c15, 0x1_0000_0001, 0x9e37_79b9_7f4a_7c14),
        ];
        for (n, e, s) in cases {
            let key = small_key(n, e);
            let len = key.len();
            let got = key.public_op(&limbs_to_be(&[s], len)).unwrap_or_default();
            let want = mod_pow_u128(s, e, n);
            assert_eq!(got, limbs_to_be(&[want], len), "n={n:x} e={e} s={s:x}");
        }
    }

    #[test]
    fn rejects_out_of_range_keys_and_signatures() {
        let mut n = vec![0xffu8; 256];
        assert!(RsaPublic::new(&n, &[1, 0, 1]).is_some());
        assert!(RsaPublic::new(&n, &[1, 0, 0]).is_none(), "even e");
        assert!(RsaPublic::new(&n, &[1]).is_none(), "e < 3");
        n[255] = 0xfe;
        assert!(RsaPublic::new(&n, &[1, 0, 1]).is_none(), "even n");
        assert!(
            RsaPublic::new(&[0xff; 128], &[1, 0, 1]).is_none(),
            "1024-bit n"
        );
        let key = RsaPublic::new(&[0xff; 256], &[1, 0, 1]);
        let key = key.as_ref();
        assert!(
            key.and_then(|k| k.public_op(&[0xff; 256])).is_none(),
            "s = n"
        );
        assert!(
            key.and_then(|k| k.public_op(&[0x01; 255])).is_none(),
            "short s"
        );
    }
}
