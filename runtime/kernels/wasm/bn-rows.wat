;; Training-mode batch norm of a dense layer's [n, c] output (batchnorm.ts's batchNorm and
;; batchNormBackward with one value per channel and sample), walked in memory order, two channels
;; a step in float64 lanes. Each channel's float64 sums still add its values sample by sample and
;; every expression is evaluated as the JS loops evaluate it (no fused multiply-add, the same
;; order of operations), so the results are the JS kernels' bits. batchnorm.wat walks channel by
;; channel with interleaved partial sums instead, which suits a spiking layer's [n, c, h·w] blocks
;; but gives other bits. The JS loops took about 2.5 ms for a [100, 1024] forward and backward
;; (docs/benchmarks.md, load 17).
;; Per-channel operands are float64 arrays of c; addresses are bytes. In the sums, the last channel
;; of an odd c takes a one-lane tail (lane 1 zero, never stored).
(module
  (import "env" "memory" (memory 0))

  ;; mu[ch] = Σ_r x[r, ch] / n, then ss[ch] = Σ_r (x[r, ch] − mu[ch])², as batchnorm.ts's two passes.
  (func (export "moments") (param $x i32) (param $n i32) (param $c i32) (param $mu i32) (param $ss i32)
    (local $r i32) (local $ch i32) (local $row i32) (local $pairs i32) (local $p i32) (local $d v128)
    (local.set $pairs (i32.and (local.get $c) (i32.const -2)))
    (memory.fill (local.get $mu) (i32.const 0) (i32.shl (local.get $c) (i32.const 3)))
    (memory.fill (local.get $ss) (i32.const 0) (i32.shl (local.get $c) (i32.const 3)))
    (local.set $r (i32.const 0))
    (block $rows (loop $rowl
      (br_if $rows (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $c)) (i32.const 2))))
      (local.set $ch (i32.const 0))
      (block $done (loop $pair
        (br_if $done (i32.ge_u (local.get $ch) (local.get $pairs)))
        (local.set $p (i32.add (local.get $mu) (i32.shl (local.get $ch) (i32.const 3))))
        (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p))
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $row) (i32.shl (local.get $ch) (i32.const 2)))))))
        (local.set $ch (i32.add (local.get $ch) (i32.const 2)))
        (br $pair)))
      (if (i32.lt_u (local.get $pairs) (local.get $c)) (then
        (call $add1 (local.get $mu) (local.get $pairs)
          (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $pairs) (i32.const 2))))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowl)))
    (local.set $ch (i32.const 0))
    (block $done (loop $div
      (br_if $done (i32.ge_u (local.get $ch) (local.get $c)))
      (f64.store (i32.add (local.get $mu) (i32.shl (local.get $ch) (i32.const 3)))
        (f64.div (f64.load (i32.add (local.get $mu) (i32.shl (local.get $ch) (i32.const 3)))) (f64.convert_i32_u (local.get $n))))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $div)))
    (local.set $r (i32.const 0))
    (block $rows (loop $rowl
      (br_if $rows (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $c)) (i32.const 2))))
      (local.set $ch (i32.const 0))
      (block $done (loop $pair
        (br_if $done (i32.ge_u (local.get $ch) (local.get $pairs)))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $row) (i32.shl (local.get $ch) (i32.const 2)))))
          (v128.load (i32.add (local.get $mu) (i32.shl (local.get $ch) (i32.const 3))))))
        (local.set $p (i32.add (local.get $ss) (i32.shl (local.get $ch) (i32.const 3))))
        (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $ch (i32.add (local.get $ch) (i32.const 2)))
        (br $pair)))
      (if (i32.lt_u (local.get $pairs) (local.get $c)) (then
        (local.set $d (f64x2.splat (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $pairs) (i32.const 2)))))
          (f64.load (i32.add (local.get $mu) (i32.shl (local.get $pairs) (i32.const 3)))))))
        (call $add1 (local.get $ss) (local.get $pairs) (f64x2.extract_lane 0 (f64x2.mul (local.get $d) (local.get $d))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowl))))

  ;; y[r, ch] = x[r, ch]·scale[ch] + shift[ch], rounded to float32 once.
  (func (export "apply") (param $x i32) (param $y i32) (param $n i32) (param $c i32) (param $scale i32) (param $shift i32)
    (local $r i32) (local $ch i32) (local $off i32) (local $pairs i32) (local $o8 i32)
    (local.set $pairs (i32.and (local.get $c) (i32.const -2)))
    (block $rows (loop $rowl
      (br_if $rows (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $ch (i32.const 0))
      (block $done (loop $pair
        (br_if $done (i32.ge_u (local.get $ch) (local.get $pairs)))
        (local.set $o8 (i32.shl (local.get $ch) (i32.const 3)))
        (v128.store64_lane 0 (i32.add (local.get $y) (local.get $off)) (f32x4.demote_f64x2_zero
          (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $off))))
            (v128.load (i32.add (local.get $scale) (local.get $o8)))) (v128.load (i32.add (local.get $shift) (local.get $o8))))))
        (local.set $off (i32.add (local.get $off) (i32.const 8)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 2)))
        (br $pair)))
      (if (i32.lt_u (local.get $pairs) (local.get $c)) (then
        (local.set $o8 (i32.shl (local.get $pairs) (i32.const 3)))
        (f32.store (i32.add (local.get $y) (local.get $off)) (f32.demote_f64
          (f64.add (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $off)))) (f64.load (i32.add (local.get $scale) (local.get $o8))))
            (f64.load (i32.add (local.get $shift) (local.get $o8))))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowl))))

  ;; sumDy[ch] = Σ_r dy, sumDyXhat[ch] = Σ_r dy·(x − mean[ch])·is[ch] (multiplied in that order).
  (func (export "grad_sums") (param $x i32) (param $dy i32) (param $n i32) (param $c i32) (param $mean i32) (param $is i32)
    (param $sumDy i32) (param $sumDyXhat i32)
    (local $r i32) (local $ch i32) (local $off i32) (local $pairs i32) (local $o8 i32) (local $g v128) (local $xv v128)
    (local.set $pairs (i32.and (local.get $c) (i32.const -2)))
    (memory.fill (local.get $sumDy) (i32.const 0) (i32.shl (local.get $c) (i32.const 3)))
    (memory.fill (local.get $sumDyXhat) (i32.const 0) (i32.shl (local.get $c) (i32.const 3)))
    (block $rows (loop $rowl
      (br_if $rows (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $ch (i32.const 0))
      (block $done (loop $pair
        (br_if $done (i32.ge_u (local.get $ch) (local.get $pairs)))
        (local.set $o8 (i32.shl (local.get $ch) (i32.const 3)))
        (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dy) (local.get $off)))))
        (local.set $xv (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $off)))))
        (v128.store (i32.add (local.get $sumDy) (local.get $o8)) (f64x2.add (v128.load (i32.add (local.get $sumDy) (local.get $o8))) (local.get $g)))
        (v128.store (i32.add (local.get $sumDyXhat) (local.get $o8)) (f64x2.add (v128.load (i32.add (local.get $sumDyXhat) (local.get $o8)))
          (f64x2.mul (f64x2.mul (local.get $g) (f64x2.sub (local.get $xv) (v128.load (i32.add (local.get $mean) (local.get $o8)))))
            (v128.load (i32.add (local.get $is) (local.get $o8))))))
        (local.set $off (i32.add (local.get $off) (i32.const 8)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 2)))
        (br $pair)))
      (if (i32.lt_u (local.get $pairs) (local.get $c)) (then
        (local.set $o8 (i32.shl (local.get $pairs) (i32.const 3)))
        (local.set $g (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $off))))))
        (local.set $xv (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $off))))))
        (call $add1 (local.get $sumDy) (local.get $pairs) (f64x2.extract_lane 0 (local.get $g)))
        (call $add1 (local.get $sumDyXhat) (local.get $pairs) (f64x2.extract_lane 0
          (f64x2.mul (f64x2.mul (local.get $g) (f64x2.sub (local.get $xv) (v128.load64_splat (i32.add (local.get $mean) (local.get $o8)))))
            (v128.load64_splat (i32.add (local.get $is) (local.get $o8))))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowl))))

  ;; dx[r, ch] = coef[ch]·((n·dy − sumDy[ch]) − ((x − mean[ch])·is[ch])·sumDyXhat[ch]), coef = γ·is/n.
  ;; c ≥ 2 (batchnorm.ts leaves c = 1 to JS): an odd c's last channel is done as the pair
  ;; (c − 2, c − 1), so channel c − 2 is computed twice from the same operands and stored twice
  ;; with the same bits. That keeps one copy of the expression without a call per pair: a helper
  ;; function of two lanes, which Node 20's V8 does not inline, doubled the backward pass's time.
  (func (export "grad_dx") (param $x i32) (param $dy i32) (param $dx i32) (param $n i32) (param $c i32) (param $mean i32) (param $is i32)
    (param $coef i32) (param $sumDy i32) (param $sumDyXhat i32)
    (local $r i32) (local $ch i32) (local $off i32) (local $last i32) (local $row i32) (local $o8 i32) (local $nn v128)
    (local.set $last (i32.sub (local.get $c) (i32.const 2)))
    (local.set $nn (f64x2.splat (f64.convert_i32_u (local.get $n))))
    (block $rows (loop $rowl
      (br_if $rows (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $row (i32.shl (i32.mul (local.get $r) (local.get $c)) (i32.const 2)))
      (local.set $ch (i32.const 0))
      (loop $pair
        (local.set $o8 (i32.shl (local.get $ch) (i32.const 3)))
        (local.set $off (i32.add (local.get $row) (i32.shl (local.get $ch) (i32.const 2))))
        (v128.store64_lane 0 (i32.add (local.get $dx) (local.get $off)) (f32x4.demote_f64x2_zero
          (f64x2.mul (v128.load (i32.add (local.get $coef) (local.get $o8)))
            (f64x2.sub
              (f64x2.sub (f64x2.mul (local.get $nn) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dy) (local.get $off)))))
                (v128.load (i32.add (local.get $sumDy) (local.get $o8))))
              (f64x2.mul (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $off))))
                (v128.load (i32.add (local.get $mean) (local.get $o8)))) (v128.load (i32.add (local.get $is) (local.get $o8))))
                (v128.load (i32.add (local.get $sumDyXhat) (local.get $o8))))))))
        (if (i32.lt_u (local.get $ch) (local.get $last)) (then
          (local.set $ch (i32.add (local.get $ch) (i32.const 2)))
          (if (i32.gt_u (local.get $ch) (local.get $last)) (then (local.set $ch (local.get $last))))
          (br $pair))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowl))))

  ;; acc[ch] += v.
  (func $add1 (param $acc i32) (param $ch i32) (param $v f64)
    (local $p i32)
    (local.set $p (i32.add (local.get $acc) (i32.shl (local.get $ch) (i32.const 3))))
    (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (local.get $v))))
)
