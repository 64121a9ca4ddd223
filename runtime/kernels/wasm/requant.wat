;; int32 accumulators → int8 by gemmlowp's fixed-point multiplier (fixed-multiplier.ts has the
;; reference and the formulas): x = acc·2^left saturated to int32, then SaturatingRoundingDoublingHighMul
;; (x, m0) = (x·m0 + nudge) / 2^31 truncated, with a 64-bit product where JavaScript needs two exact
;; double steps, then RoundingDivideByPOT(·, right), then int8 saturation, counted.
;; Column c of a row-major [len / n × n] block uses m0[c], left[c], right[c] (int32 arrays).
(module
  (import "env" "memory" (memory 0))

  (func (export "requant") (param $len i32) (param $n i32) (param $acc i32) (param $m0 i32) (param $left i32) (param $right i32) (param $out i32) (result i32)
    (local $i i32) (local $c i32) (local $a i64) (local $l i32) (local $x i32) (local $ab i64) (local $r i32)
    (local $mask i32) (local $q i32) (local $sat i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $a (i64.extend_i32_s (i32.load (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $l (i32.load (i32.add (local.get $left) (i32.shl (local.get $c) (i32.const 2)))))
        ;; Saturating left shift: past 31 bits any nonzero value saturates (and an i64 shift would overflow).
        (if (i32.gt_u (local.get $l) (i32.const 31))
          (then (local.set $a (select (i64.const 0) (select (i64.const 2147483647) (i64.const -2147483648) (i64.gt_s (local.get $a) (i64.const 0))) (i64.eqz (local.get $a)))))
          (else (local.set $a (i64.shl (local.get $a) (i64.extend_i32_u (local.get $l))))))
        (if (i64.gt_s (local.get $a) (i64.const 2147483647)) (then (local.set $a (i64.const 2147483647))))
        (if (i64.lt_s (local.get $a) (i64.const -2147483648)) (then (local.set $a (i64.const -2147483648))))
        (local.set $ab (i64.mul (local.get $a) (i64.extend_i32_s (i32.load (i32.add (local.get $m0) (i32.shl (local.get $c) (i32.const 2)))))))
        (local.set $x (i32.wrap_i64 (i64.div_s
          (i64.add (local.get $ab) (select (i64.const 1073741824) (i64.const -1073741823) (i64.ge_s (local.get $ab) (i64.const 0))))
          (i64.const 2147483648))))
        (local.set $r (i32.load (i32.add (local.get $right) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $mask (i32.sub (i32.shl (i32.const 1) (local.get $r)) (i32.const 1)))
        (local.set $q (i32.add (i32.shr_s (local.get $x) (local.get $r))
          (i32.gt_s (i32.and (local.get $x) (local.get $mask))
            (i32.add (i32.shr_u (local.get $mask) (i32.const 1)) (i32.lt_s (local.get $x) (i32.const 0))))))
        (if (i32.gt_s (local.get $q) (i32.const 127))
          (then (local.set $q (i32.const 127)) (local.set $sat (i32.add (local.get $sat) (i32.const 1)))))
        (if (i32.lt_s (local.get $q) (i32.const -128))
          (then (local.set $q (i32.const -128)) (local.set $sat (i32.add (local.get $sat) (i32.const 1)))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $q))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (if (i32.eq (local.get $c) (local.get $n)) (then (local.set $c (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $sat))
)
