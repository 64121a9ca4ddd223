;; Quantization of float32 inputs to integers for the lowered int8 / int16 layers:
;; q = round_half_even(x / s) saturated to [lo, hi], counting the saturated values, stored as
;; int8 or int16 ($eb = 1 or 2 bytes each): the integer kernels read the narrow codes where they lie,
;; and narrowing a value already saturated to [lo, hi] changes nothing.
;; The division is in float64 (x promoted, as JavaScript computes x / s), so every q is the JS
;; reference's (quantizeInto in kernels/quantize.ts): f64x2.nearest rounds ties to even, NaN gives 0
;; (through the saturating truncation) and is not counted, ±∞ saturate and are counted.
(module
  (import "env" "memory" (memory 0))

  ;; out[i] = q(x[i]) for len floats at x ($eb = 1 or 2 bytes each at out); returns how many saturated.
  (func (export "quantize") (param $len i32) (param $x i32) (param $s f64) (param $lo f64) (param $hi f64) (param $out i32)
    (param $eb i32) (result i32)
    (local $end i32) (local $sv v128) (local $lov v128) (local $hiv v128) (local $xs v128) (local $q v128) (local $q16 v128)
    (local $v0 v128) (local $v1 v128) (local $cnt v128) (local $n i32) (local $qi i32) (local $r f64)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $lov (f64x2.splat (local.get $lo)))
    (local.set $hiv (f64x2.splat (local.get $hi)))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2))))
    (block $e (loop $quads
      (br_if $e (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $xs (v128.load (local.get $x)))
      (local.set $v0 (f64x2.nearest (f64x2.div (f64x2.promote_low_f32x4 (local.get $xs)) (local.get $sv))))
      (local.set $v1 (f64x2.nearest (f64x2.div (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xs) (local.get $xs))) (local.get $sv))))
      ;; A comparison's lane is −1 where true: subtracting the masks counts.
      (local.set $cnt (i64x2.sub (local.get $cnt) (v128.or (f64x2.gt (local.get $v0) (local.get $hiv)) (f64x2.lt (local.get $v0) (local.get $lov)))))
      (local.set $cnt (i64x2.sub (local.get $cnt) (v128.or (f64x2.gt (local.get $v1) (local.get $hiv)) (f64x2.lt (local.get $v1) (local.get $lov)))))
      (local.set $v0 (i32x4.trunc_sat_f64x2_s_zero (f64x2.max (f64x2.min (local.get $v0) (local.get $hiv)) (local.get $lov))))
      (local.set $v1 (i32x4.trunc_sat_f64x2_s_zero (f64x2.max (f64x2.min (local.get $v1) (local.get $hiv)) (local.get $lov))))
      (local.set $q (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v0) (local.get $v1)))
      ;; One branch a quad, the same way every time: predicted, it costs next to nothing.
      (local.set $q16 (i16x8.narrow_i32x4_s (local.get $q) (local.get $q)))
      (if (i32.eq (local.get $eb) (i32.const 2))
        (then (v128.store64_lane 0 (local.get $out) (local.get $q16)))
        (else (v128.store32_lane 0 (local.get $out) (i8x16.narrow_i16x8_s (local.get $q16) (local.get $q16)))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.shl (local.get $eb) (i32.const 2))))
      (br $quads)))
    (local.set $n (i32.add (i32.wrap_i64 (i64x2.extract_lane 0 (local.get $cnt))) (i32.wrap_i64 (i64x2.extract_lane 1 (local.get $cnt)))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $len) (i32.const 3)) (i32.const 2))))
    (block $e (loop $tail
      (br_if $e (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $r (f64.nearest (f64.div (f64.promote_f32 (f32.load (local.get $x))) (local.get $s))))
      (if (i32.or (f64.gt (local.get $r) (local.get $hi)) (f64.lt (local.get $r) (local.get $lo)))
        (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (local.set $qi (i32.trunc_sat_f64_s (f64.max (f64.min (local.get $r) (local.get $hi)) (local.get $lo))))
      (if (i32.eq (local.get $eb) (i32.const 2)) (then (i32.store16 (local.get $out) (local.get $qi)))
        (else (i32.store8 (local.get $out) (local.get $qi))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (local.get $eb)))
      (br $tail)))
    (local.get $n))
)
