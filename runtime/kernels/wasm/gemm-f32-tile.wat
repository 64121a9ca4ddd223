;; The 4×8 fp32 micro-kernel of gemm-f32.wat: C[mr×8 at c, row stride ldc bytes] += A panel
;; (4×kc at a) · B panel (kc×8 at b), kc ≥ 1, 1 ≤ mr ≤ 4 (A's rows past mr are zero; only mr rows
;; are stored). One k step per iteration: unrolled twice, V8's TurboFan hoists the second step's
;; six loads above the first step's arithmetic, runs out of its 15 xmm registers and spills
;; accumulators every iteration (20.6 → 27.2 GFLOP/s at 1024³ when the unrolling was removed).
;; Larger tiles (5×8, 6×8, 3×12, 4×12, 3×16) spill for the same reason and measured 15–21
;; GFLOP/s against 4×8's 30; 2×16 measured 28.
;; acc = 0 stores 0 + the product instead of adding it to C (the first k block of a product
;; that overwrites C, so C needs no zeroing pass and is not read; + 0 keeps the bits of 0 + x).
(module
  (import "env" "memory" (memory 0))
  (func (export "tile") (param $kc i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $mr i32) (param $acc i32)
    (local $end i32) (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $o0 v128) (local $o1 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $kc) (i32.const 4))))
    (loop $k
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $av (v128.load32_splat offset=0 (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (br_if $k (i32.lt_u (local.get $a) (local.get $end))))
    (block $done
      (if (local.get $acc) (then (local.set $o0 (v128.load (local.get $c))) (local.set $o1 (v128.load offset=16 (local.get $c)))))
      (v128.store (local.get $c) (f32x4.add (local.get $o0) (local.get $c00)))
      (v128.store offset=16 (local.get $c) (f32x4.add (local.get $o1) (local.get $c01)))
      (br_if $done (i32.le_u (local.get $mr) (i32.const 1)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (if (local.get $acc) (then (local.set $o0 (v128.load (local.get $c))) (local.set $o1 (v128.load offset=16 (local.get $c)))))
      (v128.store (local.get $c) (f32x4.add (local.get $o0) (local.get $c10)))
      (v128.store offset=16 (local.get $c) (f32x4.add (local.get $o1) (local.get $c11)))
      (br_if $done (i32.le_u (local.get $mr) (i32.const 2)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (if (local.get $acc) (then (local.set $o0 (v128.load (local.get $c))) (local.set $o1 (v128.load offset=16 (local.get $c)))))
      (v128.store (local.get $c) (f32x4.add (local.get $o0) (local.get $c20)))
      (v128.store offset=16 (local.get $c) (f32x4.add (local.get $o1) (local.get $c21)))
      (br_if $done (i32.le_u (local.get $mr) (i32.const 3)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (if (local.get $acc) (then (local.set $o0 (v128.load (local.get $c))) (local.set $o1 (v128.load offset=16 (local.get $c)))))
      (v128.store (local.get $c) (f32x4.add (local.get $o0) (local.get $c30)))
      (v128.store offset=16 (local.get $c) (f32x4.add (local.get $o1) (local.get $c31))))))
