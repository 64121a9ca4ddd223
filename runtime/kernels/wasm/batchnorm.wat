;; Training-mode batch norm over axis 1 of one [n, c, inner] block (batchnorm.ts's batchNorm and
;; batchNormBackward), for a spiking layer's time steps, each of which has its own statistics. The
;; JS loops ran at about 10 ns a value on this machine; these take two values an instruction.
;; Sums are float64, as in the JS loops, but in two interleaved lanes, so they may differ from
;; them in the last bit of a float64 (the float32 results almost never do).
;; Per-channel operands and results are float64 arrays of c; addresses are bytes.
(module
  (import "env" "memory" (memory 0))

  ;; Σ (x − mu)^p over len floats at $p, p = 1 or 2.
  (func $seg (param $p i32) (param $len i32) (param $mu f64) (param $square i32) (result f64)
    (local $end i32) (local $acc v128) (local $d v128) (local $m v128) (local $t f64) (local $s f64)
    (local.set $m (f64x2.splat (local.get $mu)))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))) (local.get $m)))
      (local.set $acc (f64x2.add (local.get $acc)
        (select (result v128) (f64x2.mul (local.get $d) (local.get $d)) (local.get $d) (local.get $square))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br $next)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
    (if (i32.and (local.get $len) (i32.const 1)) (then
      (local.set $t (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $mu)))
      (local.set $s (f64.add (local.get $s) (select (f64.mul (local.get $t) (local.get $t)) (local.get $t) (local.get $square))))))
    (local.get $s))

  ;; out[ch] = Σ over the channel's values of x − mean[ch] (mean 0: the sum), or its square.
  (func (export "bn_moment")
    (param $x i32) (param $n i32) (param $c i32) (param $inner i32) (param $mean i32) (param $out i32) (param $square i32)
    (local $ch i32) (local $b i32) (local $s f64) (local $mu f64)
    (block $chans (loop $chan
      (br_if $chans (i32.ge_u (local.get $ch) (local.get $c)))
      (local.set $mu (f64.load (i32.add (local.get $mean) (i32.shl (local.get $ch) (i32.const 3)))))
      (local.set $s (f64.const 0))
      (local.set $b (i32.const 0))
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $s (f64.add (local.get $s) (call $seg
          (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (local.get $inner)) (i32.const 2)))
          (local.get $inner) (local.get $mu) (local.get $square))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $row)))
      (f64.store (i32.add (local.get $out) (i32.shl (local.get $ch) (i32.const 3))) (local.get $s))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $chan))))

  ;; y = x·scale[ch] + shift[ch].
  (func (export "bn_apply")
    (param $x i32) (param $y i32) (param $n i32) (param $c i32) (param $inner i32) (param $scale i32) (param $shift i32)
    (local $ch i32) (local $b i32) (local $sc v128) (local $sh v128) (local $at i32) (local $end i32) (local $i i32)
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
    (local $g v128) (local $a v128) (local $q v128)
    (block $chans (loop $chan
      (br_if $chans (i32.ge_u (local.get $ch) (local.get $c)))
      (local.set $mu (v128.load64_splat (i32.add (local.get $mean) (i32.shl (local.get $ch) (i32.const 3)))))
      (local.set $iv (v128.load64_splat (i32.add (local.get $is) (i32.shl (local.get $ch) (i32.const 3)))))
      (local.set $a (v128.const f64x2 0 0))
      (local.set $q (v128.const f64x2 0 0))
      (local.set $b (i32.const 0))
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $at (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (local.get $inner)) (i32.const 2)))
        (local.set $end (i32.add (local.get $at) (i32.shl (local.get $inner) (i32.const 2))))
        (local.set $i (local.get $at))
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
    (local $mu v128) (local $iv v128) (local $k v128) (local $sd v128) (local $sq v128) (local $mm v128)
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
