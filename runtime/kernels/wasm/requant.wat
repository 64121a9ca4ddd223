;; int32 accumulators plus a bias (int32-saturated, sums at int32's bounds counted, as
;; int-epilogue.wat's add_bias does) → int8 by gemmlowp's fixed-point multiplier (fixed-multiplier.ts has the
;; reference and the formulas), and on to the real value q·s_y the layer hands on, four sums a
;; step, in place over the sums. Column j of a row-major [rows × n] block has its multiplier
;; m0[j]·2^(left[j] − right[j] − 31), given as m0 (int32), 2^left and 2^−right (float64); $shl
;; says whether any left is above 0.
;;   x  = acc·2^left saturated to int32: the product is exact in float64 (a power of two only moves
;;        the exponent), and the saturating truncation to int32 is the saturating shift;
;;   x2 = SaturatingRoundingDoublingHighMul(x, m0) = (x·m0 + nudge) / 2^31 truncated, nudge 2^30
;;        for a product ≥ 0, 1 − 2^30 below: for both signs that is (x·m0 + 2^30) >> 31, an
;;        arithmetic shift of the 64-bit product (i64x2.extmul); m0 ≥ 0, so the one saturating
;;        case (both operands INT32_MIN) cannot occur;
;;   q  = RoundingDivideByPOT(x2, right), x2 / 2^right rounded half away from zero: v = x2·2^−right
;;        and v ± 0.5 are exact in float64 (32 significant bits at most), so trunc(v + copysign(½, v))
;;        is the rounding (the scalar tail adds + 0, turning the −0 a small negative v truncates to
;;        into gemmlowp's 0; the vector loop goes back to int32 lanes, which have no −0);
;;   q saturated to int8 (counted), and y = float32(q·s_y) as the JS reference's Float32Array store.
(module
  (import "env" "memory" (memory 0))

  (func (export "requant") (param $rows i32) (param $n i32) (param $c i32) (param $bias i32) (param $m0 i32) (param $pl i32) (param $pr i32)
    (param $shl i32) (param $s f64) (param $y i32) (result i32)
    (local $r i32) (local $j i32) (local $n4 i32) (local $a v128) (local $x v128) (local $m v128) (local $lo v128) (local $hi v128)
    (local $v0 v128) (local $v1 v128) (local $sv v128) (local $nudge v128) (local $sign v128) (local $half v128)
    (local $q8lo v128) (local $q8hi v128) (local $o i32) (local $k i32) (local $xs i64) (local $v f64)
    (local $b v128) (local $max v128) (local $min v128) (local $cnt32 v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $nudge (i64x2.splat (i64.const 1073741824)))
    (local.set $sign (i64x2.splat (i64.const 0x8000000000000000)))
    (local.set $half (f64x2.splat (f64.const 0.5)))
    (local.set $q8lo (i32x4.splat (i32.const -128)))
    (local.set $q8hi (i32x4.splat (i32.const 127)))
    (local.set $max (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $min (i32x4.splat (i32.const 0x80000000)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $e (loop $quads
        (br_if $e (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $a (v128.load (local.get $c)))
        (local.set $b (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $x (i32x4.add (local.get $a) (local.get $b)))
        ;; The saturating add of int-epilogue.wat's add_bias, which says why it works.
        (local.set $a (v128.bitselect
          (v128.xor (i32x4.shr_s (local.get $a) (i32.const 31)) (local.get $max))
          (local.get $x)
          (i32x4.shr_s (v128.and (v128.xor (local.get $x) (local.get $a)) (v128.xor (local.get $x) (local.get $b))) (i32.const 31))))
        (local.set $cnt32 (i32x4.sub (local.get $cnt32)
          (v128.or (i32x4.eq (local.get $a) (local.get $max)) (i32x4.eq (local.get $a) (local.get $min)))))
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        ;; Multipliers below 1 (the usual case: s_x·s_w < s_y) shift nothing left.
        (if (local.get $shl)
          (then (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (i32x4.trunc_sat_f64x2_s_zero (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $a))
              (v128.load (i32.add (local.get $pl) (local.get $o)))))
            (i32x4.trunc_sat_f64x2_s_zero (f64x2.mul (f64x2.convert_low_i32x4_s
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
              (v128.load offset=16 (i32.add (local.get $pl) (local.get $o)))))))))
        (local.set $m (v128.load (i32.add (local.get $m0) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $lo (i64x2.shr_s (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $a) (local.get $m)) (local.get $nudge)) (i32.const 31)))
        (local.set $hi (i64x2.shr_s (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $a) (local.get $m)) (local.get $nudge)) (i32.const 31)))
        (local.set $x (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $lo) (local.get $hi)))
        (local.set $v0 (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $x)) (v128.load (i32.add (local.get $pr) (local.get $o)))))
        (local.set $v1 (f64x2.mul (f64x2.convert_low_i32x4_s
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
          (v128.load offset=16 (i32.add (local.get $pr) (local.get $o)))))
        ;; Rounded, back in int32 lanes (exact: |q| < 2^31), where the int8 clamp and its count are
        ;; cheap integer instructions and no −0 survives.
        (local.set $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.trunc (f64x2.add (local.get $v0)
            (v128.or (v128.and (local.get $v0) (local.get $sign)) (local.get $half)))))
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.trunc (f64x2.add (local.get $v1)
            (v128.or (v128.and (local.get $v1) (local.get $sign)) (local.get $half)))))))
        ;; A comparison's lane is −1 where true: subtracting the masks counts.
        (local.set $cnt32 (i32x4.sub (local.get $cnt32)
          (v128.or (i32x4.gt_s (local.get $x) (local.get $q8hi)) (i32x4.lt_s (local.get $x) (local.get $q8lo)))))
        (local.set $x (i32x4.max_s (i32x4.min_s (local.get $x) (local.get $q8hi)) (local.get $q8lo)))
        (v128.store (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $x)) (local.get $sv)))
          (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.convert_low_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))) (local.get $sv)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
      ;; The same steps one value at a time for the last n mod 4 columns.
      (block $e (loop $tail
        (br_if $e (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        (local.set $xs (i64.add (i64.extend_i32_s (i32.load (local.get $c)))
          (i64.extend_i32_s (i32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))))
        (if (i64.gt_s (local.get $xs) (i64.const 2147483647)) (then (local.set $xs (i64.const 2147483647))))
        (if (i64.lt_s (local.get $xs) (i64.const -2147483648)) (then (local.set $xs (i64.const -2147483648))))
        (if (i32.or (i64.eq (local.get $xs) (i64.const 2147483647)) (i64.eq (local.get $xs) (i64.const -2147483648)))
          (then (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (local.set $xs (i64.extend_i32_s (i32.trunc_sat_f64_s (f64.mul (f64.convert_i64_s (local.get $xs))
          (f64.load (i32.add (local.get $pl) (local.get $o)))))))
        (local.set $xs (i64.shr_s (i64.add (i64.mul (local.get $xs)
          (i64.extend_i32_s (i32.load (i32.add (local.get $m0) (i32.shl (local.get $j) (i32.const 2))))))
          (i64.const 1073741824)) (i64.const 31)))
        (local.set $v (f64.mul (f64.convert_i64_s (local.get $xs)) (f64.load (i32.add (local.get $pr) (local.get $o)))))
        (local.set $v (f64.add (f64.trunc (f64.add (local.get $v) (f64.copysign (f64.const 0.5) (local.get $v)))) (f64.const 0)))
        (if (i32.or (f64.gt (local.get $v) (f64.const 127)) (f64.lt (local.get $v) (f64.const -128)))
          (then (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (f32.store (local.get $y) (f32.demote_f64 (f64.mul (f64.max (f64.min (local.get $v) (f64.const 127)) (f64.const -128)) (local.get $s))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowLoop)))
    (i32.add (local.get $k)
      (i32.add (i32.add (i32x4.extract_lane 0 (local.get $cnt32)) (i32x4.extract_lane 1 (local.get $cnt32)))
        (i32.add (i32x4.extract_lane 2 (local.get $cnt32)) (i32x4.extract_lane 3 (local.get $cnt32))))))
)
