;; A binary layer's folded batch norm → sign (binary-layer.ts, binaryThresholds) over its whole
;; sums where its kernel left them: out = 1 where lo[j] ≤ sum ≤ hi[j], else `low` (−1, or 0 when a
;; relu follows the sign), as float32. Both compares of the JS reference (sum ≥ τ for γ > 0, sum ≤ τ
;; for γ < 0, a constant for γ = 0) are this one band, so a row is i32x4 compares and a bitselect,
;; with no branch on the channel's direction. The JS loop over every sum took about a quarter of
;; the lowered binary_mlp's inference.
(module
  (import "env" "memory" (memory 0))

  ;; `rows` rows of n sums at src (row stride sn values: the XNOR kernel's padded rows) into rows
  ;; of n floats at dst (row stride dn); dst may be src when the strides match (each quad is read
  ;; first). `float` ≠ 0: the sums are float32 holding whole numbers (the integer fp32 GEMM's), which
  ;; truncate to themselves; else int32. `rs` ≠ 0: the sums are the bit-plane kernel's counts c of
  ;; the +1 weights, and the row's signed sum 2c − rs[r] (rs: one int32 a row) is what is compared,
  ;; made here rather than in a JS pass over every sum. 2c may wrap, the difference does not: the
  ;; signed sum lies in int32 (bitplane.ts checks k·(2^bits − 1) < 2^31), so wrapping arithmetic
  ;; gives it exactly.
  (func (export "threshold") (param $rows i32) (param $n i32) (param $src i32) (param $sn i32) (param $float i32)
    (param $lo i32) (param $hi i32) (param $low f32) (param $dst i32) (param $dn i32) (param $rs i32)
    (local $r i32) (local $j i32) (local $n4 i32) (local $s i32) (local $d i32) (local $v v128)
    (local $one v128) (local $lowv v128) (local $x i32) (local $sh i32) (local $off i32) (local $offv v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    ;; Without row sums: a shift by 0 and an offset of 0, so the loops have no branch on it.
    (local.set $sh (i32.ne (local.get $rs) (i32.const 0)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $lowv (f32x4.splat (local.get $low)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r) (local.get $sn)) (i32.const 2))))
      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $r) (local.get $dn)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (if (local.get $rs) (then (local.set $off (i32.load (i32.add (local.get $rs) (i32.shl (local.get $r) (i32.const 2)))))))
      (local.set $offv (i32x4.splat (local.get $off)))
      (block $e (loop $quads
        (br_if $e (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $v (v128.load (local.get $s)))
        (if (local.get $float) (then (local.set $v (i32x4.trunc_sat_f32x4_s (local.get $v)))))
        (local.set $v (i32x4.sub (i32x4.shl (local.get $v) (local.get $sh)) (local.get $offv)))
        (v128.store (local.get $d) (v128.bitselect (local.get $one) (local.get $lowv)
          (v128.and
            (i32x4.ge_s (local.get $v) (v128.load (i32.add (local.get $lo) (i32.shl (local.get $j) (i32.const 2)))))
            (i32x4.le_s (local.get $v) (v128.load (i32.add (local.get $hi) (i32.shl (local.get $j) (i32.const 2))))))))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
      (block $e (loop $tail
        (br_if $e (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $x (if (result i32) (local.get $float)
          (then (i32.trunc_sat_f32_s (f32.load (local.get $s))))
          (else (i32.load (local.get $s)))))
        (local.set $x (i32.sub (i32.shl (local.get $x) (local.get $sh)) (local.get $off)))
        (f32.store (local.get $d) (select (f32.const 1) (local.get $low)
          (i32.and
            (i32.ge_s (local.get $x) (i32.load (i32.add (local.get $lo) (i32.shl (local.get $j) (i32.const 2)))))
            (i32.le_s (local.get $x) (i32.load (i32.add (local.get $hi) (i32.shl (local.get $j) (i32.const 2))))))))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowLoop))))
)
