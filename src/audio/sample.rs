//! Converting whatever sample format a device delivers into f32 in [-1, 1].
//!
//! Used inside the capture callback, so everything here is allocation-free and branch-light.

use cpal::{FromSample, Sample};

/// Converts one sample of any cpal sample type to f32 (full scale = ±1.0, unsigned formats
/// centred on their midpoint).
#[inline]
pub fn to_f32<T>(s: T) -> f32
where
    T: Sample,
    f32: FromSample<T>,
{
    f32::from_sample_(s)
}

/// Converts an interleaved buffer into `out`, returning how many samples were written
/// (`min(input.len(), out.len())`).
#[inline]
pub fn convert_into<T>(input: &[T], out: &mut [f32]) -> usize
where
    T: Sample,
    f32: FromSample<T>,
{
    let n = input.len().min(out.len());
    for (o, &s) in out[..n].iter_mut().zip(&input[..n]) {
        *o = to_f32(s);
    }
    n
}

/// f32 in [-1, 1] to 16-bit PCM, clamping and rounding (not truncating, which would add a
/// half-LSB DC offset). Scaled by 32768, the exact inverse of the i16 → f32 conversion, so
/// 16-bit audio passes through decode → write unchanged.
#[inline]
pub fn f32_to_i16(x: f32) -> i16 {
    let scaled = (x * 32768.0).round();
    scaled.clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpal::{I24, U24};

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-3
    }

    #[test]
    fn signed_integers_map_full_scale_and_zero() {
        assert!(close(to_f32(0i8), 0.0));
        assert!(close(to_f32(i8::MIN), -1.0));
        assert!(
            close(to_f32(i8::MAX), 127.0 / 128.0),
            "full scale is 2^(n-1)"
        );
        assert!(close(to_f32(0i16), 0.0));
        assert!(close(to_f32(i16::MIN), -1.0));
        assert!(close(to_f32(i16::MAX), 1.0));
        assert!(close(to_f32(16384i16), 0.5));
        assert!(close(to_f32(i32::MIN), -1.0));
        assert!(close(to_f32(i32::MAX / 2), 0.5));
        assert!(close(to_f32(i64::MIN), -1.0));
        assert!(close(to_f32(i64::MAX / 4), 0.25));
        let half = I24::new(1 << 22).expect("in range");
        assert!(close(to_f32(half), 0.5));
        let min = I24::new(-(1 << 23)).expect("in range");
        assert!(close(to_f32(min), -1.0));
    }

    #[test]
    fn unsigned_integers_are_centred_on_their_midpoint() {
        assert!(close(to_f32(128u8), 0.0));
        assert!(close(to_f32(0u8), -1.0));
        assert!(close(to_f32(255u8), 127.0 / 128.0));
        assert!(close(to_f32(32768u16), 0.0));
        assert!(close(to_f32(0u16), -1.0));
        assert!(close(to_f32(49152u16), 0.5));
        assert!(close(to_f32(1u32 << 31), 0.0));
        assert!(close(to_f32(0u32), -1.0));
        assert!(close(to_f32(1u64 << 63), 0.0));
        assert!(close(to_f32(u64::MAX), 1.0));
        let mid = U24::new(1 << 23).expect("in range");
        assert!(close(to_f32(mid), 0.0));
    }

    #[test]
    fn floats_pass_through() {
        assert_eq!(to_f32(0.25f32), 0.25);
        assert!(close(to_f32(-0.75f64), -0.75));
    }

    #[test]
    fn a_known_sine_survives_every_format() {
        // The same 440 Hz sine quantised to each format comes back within the format's LSB.
        let reference: Vec<f32> = (0..480)
            .map(|i| 0.8 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 48_000.0).sin())
            .collect();
        let check = |got: &[f32], tol: f32, what: &str| {
            for (g, r) in got.iter().zip(&reference) {
                assert!((g - r).abs() <= tol, "{what}: {g} vs {r}");
            }
        };
        let mut out = vec![0f32; reference.len()];
        let i16s: Vec<i16> = reference.iter().map(|&x| (x * 32768.0) as i16).collect();
        convert_into(&i16s, &mut out);
        check(&out, 1.0 / 16384.0, "i16");
        let u8s: Vec<u8> = reference
            .iter()
            .map(|&x| ((x * 128.0) as i16 + 128) as u8)
            .collect();
        convert_into(&u8s, &mut out);
        check(&out, 1.0 / 64.0, "u8");
        let i32s: Vec<i32> = reference
            .iter()
            .map(|&x| (f64::from(x) * 2_147_483_648.0) as i32)
            .collect();
        convert_into(&i32s, &mut out);
        check(&out, 1e-6, "i32");
        let u16s: Vec<u16> = reference
            .iter()
            .map(|&x| ((x * 32768.0) as i32 + 32768) as u16)
            .collect();
        convert_into(&u16s, &mut out);
        check(&out, 1.0 / 16384.0, "u16");
        let f64s: Vec<f64> = reference.iter().map(|&x| f64::from(x)).collect();
        convert_into(&f64s, &mut out);
        check(&out, 1e-7, "f64");
    }

    #[test]
    fn f32_to_i16_rounds_and_clamps() {
        assert_eq!(f32_to_i16(0.0), 0);
        assert_eq!(f32_to_i16(1.0), 32767);
        assert_eq!(f32_to_i16(2.0), 32767);
        assert_eq!(f32_to_i16(-2.0), -32768);
        assert_eq!(f32_to_i16(0.5), 16384);
        for s in [i16::MIN, -12345, -1, 0, 1, 16383, 32767] {
            assert_eq!(f32_to_i16(to_f32(s)), s, "i16 round trip");
        }
    }
}
