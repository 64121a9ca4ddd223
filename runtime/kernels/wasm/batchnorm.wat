;; Training-mode batch norm over axis 1 of one [n, c, inner] block (batchnorm.ts's batchNorm and
;; batchNormBackward), for a spiking layer's time steps, each of which has its own statistics. The
;; JS loops ran at about 10 ns a value on this machine; these take two values an instruction.
;; Sums are float64, as in the JS loops, but in interleaved lanes (and the statistics in one
;; shifted pass rather than two), so they may differ from them in the last bits of a float64 (the
;; float32 results almost never do).
;; Per-channel operands and results are float64 arrays of c; addresses are bytes.
(module
  (import "env" "memory" (memory 0))

  ;; mean[ch] and var[ch] (population) of each channel in one pass: Σd and Σd² of d = x − s, s the
  ;; channel's first value, so that Σd² − (Σd)²/count cancels only as much as (μ − s)² exceeds σ²,
  ;; which for a value of the data itself stays far inside float64's digits (Σx² − (Σx)²/count
  ;; would lose them all when |μ| ≫ σ). Four values a step in four float64 accumulators.
  (func (export "bn_moments")
    (param $x i32) (param $n i32) (param $c i32) (param $inner i32) (param $mean i32) (param $var i32)
    (local $ch i32) (local $b i32) (local $p i32) (local $end i32) (local $end4 i32) (local $sh f64) (local $shv v128)
    (local $lo v128) (local $hi v128) (local $v v128) (local $s1a v128) (local $s1b v128) (local $s2a v128) (local $s2b v128)
    (local $s1 f64) (local $s2 f64) (local $t f64) (local $count f64)
    (local.set $count (f64.convert_i32_u (i32.mul (local.get $n) (local.get $inner))))
    (block $chans (loop $chan
      (br_if $chans (i32.ge_u (local.get $ch) (local.get $c)))
      (local.set $sh (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (i32.mul (local.get $ch) (local.get $inner)) (i32.const 2))))))
      (local.set $shv (f64x2.splat (local.get $sh)))
      (local.set $s1a (v128.const i64x2 0 0)) (local.set $s1b (v128.const i64x2 0 0))
      (local.set $s2a (v128.const i64x2 0 0)) (local.set $s2b (v128.const i64x2 0 0))
      (local.set $s1 (f64.const 0)) (local.set $s2 (f64.const 0))
      (local.set $b (i32.const 0))
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $p (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (local.get $inner)) (i32.const 2))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $inner) (i32.const 2))))
        (local.set $end4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $inner) (i32.const -4)) (i32.const 2))))
        (block $q4 (loop $quad
          (br_if $q4 (i32.ge_u (local.get $p) (local.get $end4)))
          (local.set $v (v128.load (local.get $p)))
          (local.set $lo (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $shv)))
          (local.set $hi (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $shv)))
          (local.set $s1a (f64x2.add (local.get $s1a) (local.get $lo)))
          (local.set $s1b (f64x2.add (local.get $s1b) (local.get $hi)))
          (local.set $s2a (f64x2.add (local.get $s2a) (f64x2.mul (local.get $lo) (local.get $lo))))
          (local.set $s2b (f64x2.add (local.get $s2b) (f64x2.mul (local.get $hi) (local.get $hi))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $quad)))
        (block $ones (loop $one
          (br_if $ones (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $t (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $sh)))
          (local.set $s1 (f64.add (local.get $s1) (local.get $t)))
          (local.set $s2 (f64.add (local.get $s2) (f64.mul (local.get $t) (local.get $t))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $one)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $row)))
      (local.set $s1a (f64x2.add (local.get $s1a) (local.get $s1b)))
      (local.set $s2a (f64x2.add (local.get $s2a) (local.get $s2b)))
      (local.set $s1 (f64.add (local.get $s1) (f64.add (f64x2.extract_lane 0 (local.get $s1a)) (f64x2.extract_lane 1 (local.get $s1a)))))
      (local.set $s2 (f64.add (local.get $s2) (f64.add (f64x2.extract_lane 0 (local.get $s2a)) (f64x2.extract_lane 1 (local.get $s2a)))))
      (f64.store (i32.add (local.get $mean) (i32.shl (local.get $ch) (i32.const 3)))
        (f64.add (local.get $sh) (f64.div (local.get $s1) (local.get $count))))
      (f64.store (i32.add (local.get $var) (i32.shl (local.get $ch) (i32.const 3)))
        (f64.max (f64.const 0) (f64.div (f64.sub (local.get $s2) (f64.div (f64.mul (local.get $s1) (local.get $s1)) (local.get $count))) (local.get $count))))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $chan))))

  ;; y = x·scale[ch] + shift[ch].
  (func (export "bn_apply")
    (param $x i32) (param $y i32) (param $n i32) (param $c i32) (param $inner i32) (param $scale i32) (param $shift i32)
    (local $ch i32) (local $b i32) (local $sc v128) (local $sh v128) (local $at i32) (local $end i32) (local $i i32) (local $v v128)
    (block $chans (loop $chan
      (br_if $chans (i32.ge_u (local.get $ch) (local.get $c)))
      (local.set $sc (v128.load64_splat (i32.add (local.get $scale) (i32.shl (local.get $ch) (i32.const 3)))))
      (local.set $sh (v128.load64_splat (i32.add (local.get $shift) (i32.shl (local.get $ch) (i32.const 3)))))
      (local.set $b (i32.const 0))
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $at (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (local.get $inner)) (i32.const 2)))
        (local.set $end (i32.add (local.get $at) (i32.shl (local.get $inner) (i32.const 2))))
        (local.set $i (local.get $at))
        ;; Four values a step (two float64 pairs), the same arithmetic as the pairs below.
        (block $q4 (loop $quad
          (br_if $q4 (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
          (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
          (v128.store (i32.add (local.get $y) (local.get $i)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $sc)) (local.get $sh)))
            (f32x4.demote_f64x2_zero (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $sc)) (local.get $sh)))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $quad)))
        (block $segd (loop $pair
          (br_if $segd (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $end)))
          (v128.store64_lane 0 (i32.add (local.get $y) (local.get $i)) (f32x4.demote_f64x2_zero
            (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $i)))) (local.get $sc)) (local.get $sh))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $pair)))
        (if (i32.lt_u (local.get $i) (local.get $end)) (then
          (f32.store (i32.add (local.get $y) (local.get $i)) (f32.demote_f64
            (f64.add (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $i)))) (f64x2.extract_lane 0 (local.get $sc)))
              (f64x2.extract_lane 0 (local.get $sh)))))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $row)))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $chan))))

  ;; The backward pass's sums: sumDy[ch] = Σ dy, sumDyXhat[ch] = Σ dy·(x − mean)·is.
  (func (export "bn_grad_sums")
    (param $x i32) (param $dy i32) (param $n i32) (param $c i32) (param $inner i32) (param $mean i32) (param $is i32)
    (param $sumDy i32) (param $sumDyXhat i32)
    (local $ch i32) (local $b i32) (local $mu v128) (local $iv v128) (local $at i32) (local $end i32) (local $i i32)
    (local $g v128) (local $a v128) (local $q v128) (local $a2 v128) (local $q2 v128) (local $v v128) (local $w v128)
    (block $chans (loop $chan
      (br_if $chans (i32.ge_u (local.get $ch) (local.get $c)))
      (local.set $mu (v128.load64_splat (i32.add (local.get $mean) (i32.shl (local.get $ch) (i32.const 3)))))
      (local.set $iv (v128.load64_splat (i32.add (local.get $is) (i32.shl (local.get $ch) (i32.const 3)))))
      (local.set $a (v128.const f64x2 0 0))
      (local.set $q (v128.const f64x2 0 0))
      (local.set $a2 (v128.const f64x2 0 0))
      (local.set $q2 (v128.const f64x2 0 0))
      (local.set $b (i32.const 0))
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $at (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (local.get $inner)) (i32.const 2)))
        (local.set $end (i32.add (local.get $at) (i32.shl (local.get $inner) (i32.const 2))))
        (local.set $i (local.get $at))
        ;; Four values a step into two pairs of accumulators (two chains of dependent adds at once).
        (block $q4 (loop $quad
          (br_if $q4 (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
          (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
          (local.set $w (v128.load (i32.add (local.get $dy) (local.get $i))))
          (local.set $g (f64x2.promote_low_f32x4 (local.get $w)))
          (local.set $a (f64x2.add (local.get $a) (local.get $g)))
          (local.set $q (f64x2.add (local.get $q) (f64x2.mul (f64x2.mul (local.get $g)
            (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mu))) (local.get $iv))))
          (local.set $g (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $w) (local.get $w))))
          (local.set $a2 (f64x2.add (local.get $a2) (local.get $g)))
          (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul (f64x2.mul (local.get $g)
            (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $mu))) (local.get $iv))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $quad)))
        (block $segd (loop $pair
          (br_if $segd (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $end)))
          (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dy) (local.get $i)))))
          (local.set $a (f64x2.add (local.get $a) (local.get $g)))
          (local.set $q (f64x2.add (local.get $q) (f64x2.mul (f64x2.mul (local.get $g)
            (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $i)))) (local.get $mu))) (local.get $iv))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $pair)))
        (if (i32.lt_u (local.get $i) (local.get $end)) (then
          ;; The odd value in lane 0, zero in lane 1.
          (local.set $g (f64x2.promote_low_f32x4 (v128.load32_zero (i32.add (local.get $dy) (local.get $i)))))
          (local.set $a (f64x2.add (local.get $a) (local.get $g)))
          (local.set $q (f64x2.add (local.get $q) (f64x2.mul (f64x2.mul (local.get $g)
            (f64x2.sub (f64x2.promote_low_f32x4 (v128.load32_zero (i32.add (local.get $x) (local.get $i)))) (local.get $mu))) (local.get $iv))))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $row)))
      (local.set $a (f64x2.add (local.get $a) (local.get $a2)))
      (local.set $q (f64x2.add (local.get $q) (local.get $q2)))
      (f64.store (i32.add (local.get $sumDy) (i32.shl (local.get $ch) (i32.const 3)))
        (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))))
      (f64.store (i32.add (local.get $sumDyXhat) (i32.shl (local.get $ch) (i32.const 3)))
        (f64.add (f64x2.extract_lane 0 (local.get $q)) (f64x2.extract_lane 1 (local.get $q))))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $chan))))

  ;; dx = coef[ch]·(m·dy − sumDy[ch] − (x − mean[ch])·is[ch]·sumDyXhat[ch]), coef = γ·is/m.
  (func (export "bn_grad_dx")
    (param $x i32) (param $dy i32) (param $dx i32) (param $n i32) (param $c i32) (param $inner i32) (param $m f64)
    (param $mean i32) (param $is i32) (param $coef i32) (param $sumDy i32) (param $sumDyXhat i32)
    (local $ch i32) (local $b i32) (local $at i32) (local $end i32) (local $i i32) (local $o i32)
    (local $mu v128) (local $iv v128) (local $k v128) (local $sd v128) (local $sq v128) (local $mm v128) (local $v v128) (local $w v128)
    (local.set $mm (f64x2.splat (local.get $m)))
    (block $chans (loop $chan
      (br_if $chans (i32.ge_u (local.get $ch) (local.get $c)))
      (local.set $o (i32.shl (local.get $ch) (i32.const 3)))
      (local.set $mu (v128.load64_splat (i32.add (local.get $mean) (local.get $o))))
      (local.set $iv (v128.load64_splat (i32.add (local.get $is) (local.get $o))))
      (local.set $k (v128.load64_splat (i32.add (local.get $coef) (local.get $o))))
      (local.set $sd (v128.load64_splat (i32.add (local.get $sumDy) (local.get $o))))
      (local.set $sq (v128.load64_splat (i32.add (local.get $sumDyXhat) (local.get $o))))
      (local.set $b (i32.const 0))
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $at (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (local.get $inner)) (i32.const 2)))
        (local.set $end (i32.add (local.get $at) (i32.shl (local.get $inner) (i32.const 2))))
        (local.set $i (local.get $at))
        ;; Four values a step, $dxOf's arithmetic written out rather than called for each pair.
        (block $q4 (loop $quad
          (br_if $q4 (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
          (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
          (local.set $w (v128.load (i32.add (local.get $dy) (local.get $i))))
          (v128.store (i32.add (local.get $dx) (local.get $i)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.mul (local.get $k)
              (f64x2.sub
                (f64x2.sub (f64x2.mul (local.get $mm) (f64x2.promote_low_f32x4 (local.get $w))) (local.get $sd))
                (f64x2.mul (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mu)) (local.get $iv)) (local.get $sq)))))
            (f32x4.demote_f64x2_zero (f64x2.mul (local.get $k)
              (f64x2.sub
                (f64x2.sub (f64x2.mul (local.get $mm) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $w) (local.get $w)))) (local.get $sd))
                (f64x2.mul (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $mu)) (local.get $iv)) (local.get $sq)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $quad)))
        (block $segd (loop $pair
          (br_if $segd (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $end)))
          (v128.store64_lane 0 (i32.add (local.get $dx) (local.get $i)) (f32x4.demote_f64x2_zero
            (call $dxOf (v128.load64_zero (i32.add (local.get $x) (local.get $i))) (v128.load64_zero (i32.add (local.get $dy) (local.get $i)))
              (local.get $mu) (local.get $iv) (local.get $k) (local.get $sd) (local.get $sq) (local.get $mm))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $pair)))
        (if (i32.lt_u (local.get $i) (local.get $end)) (then
          (v128.store32_lane 0 (i32.add (local.get $dx) (local.get $i)) (f32x4.demote_f64x2_zero
            (call $dxOf (v128.load32_zero (i32.add (local.get $x) (local.get $i))) (v128.load32_zero (i32.add (local.get $dy) (local.get $i)))
              (local.get $mu) (local.get $iv) (local.get $k) (local.get $sd) (local.get $sq) (local.get $mm))))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $row)))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $chan))))

  ;; Two lanes of bn_grad_dx from two float32 x and dy in the low half.
  (func $dxOf (param $x v128) (param $dy v128) (param $mu v128) (param $iv v128) (param $k v128) (param $sd v128) (param $sq v128) (param $mm v128) (result v128)
    (f64x2.mul (local.get $k)
      (f64x2.sub
        (f64x2.sub (f64x2.mul (local.get $mm) (f64x2.promote_low_f32x4 (local.get $dy))) (local.get $sd))
        (f64x2.mul (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x)) (local.get $mu)) (local.get $iv)) (local.get $sq)))))
)
