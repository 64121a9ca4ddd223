;; int16 × int16 → int32 GEMM, C += A·B (byte addresses), the kernel of the int16 and int8 paths:
;; k is taken in pairs, so one i32x4.dot_i16x8_s multiplies a pair of A's k values (broadcast as
;; one i32) by the same pair of 4 columns of B and adds the two products into each int32 lane.
;;   A: mp rows of int16, row-major, row stride lda bytes (k padded to even with a zero): with k
;;      even a row's pair (a[2q], a[2q+1]) is already the i32 to broadcast, so A is read where
;;      it lies and never packed (packing it was a fifth of the time at 256³);
;;   B: 8-column micro-panels, pair-major: per k pair 8 × (b[2q][s], b[2q+1][s]), 32 bytes;
;;   C: mp × np int32, row stride np (both padded to the tile), accumulated into.
;; The 4×8 tile holds 8 i32x4 accumulators as gemm-f32.wat does, but each dot does 8 MACs where
;; f32x4.mul + add do 4, which is where the integer paths' speed comes from. Two k pairs per loop
;; iteration halve the loop's own instructions. Accumulation wraps modulo 2^32; the callers only
;; send sums that provably stay inside int32 (fixed-point.ts, quant-int8.ts).
;; k is blocked in KB pairs so a B micro-panel block (KB × 32 bytes = 4 KiB) stays in L1 while
;; every row tile of the block streams past it.
(module
  (import "env" "memory" (memory 0))

  (global $KB i32 (i32.const 128))

  ;; C[4×8 at c, row stride ldc bytes] += A (4 rows from a, stride lda) · B panel (kq pairs at b); kq ≥ 1.
  (func $kernel (param $kq i32) (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $end i32) (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $a1 (i32.add (local.get $a) (local.get $lda)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $lda)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $lda)))
    ;; Pairs two at a time up to the last even count; an odd last pair after the loop.
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $kq) (i32.const -2)) (i32.const 2))))
    (if (i32.lt_u (local.get $a) (local.get $end))
      (then
        (loop $k
          (local.set $b0 (v128.load (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $av (v128.load32_splat (local.get $a)))
          (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
          (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat (local.get $a1)))
          (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
          (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat (local.get $a2)))
          (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
          (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat (local.get $a3)))
          (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
          (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
          (local.set $b0 (v128.load offset=32 (local.get $b)))
          (local.set $b1 (v128.load offset=48 (local.get $b)))
          (local.set $av (v128.load32_splat offset=4 (local.get $a)))
          (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
          (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=4 (local.get $a1)))
          (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
          (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=4 (local.get $a2)))
          (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
          (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=4 (local.get $a3)))
          (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
          (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 8)))
          (local.set $a1 (i32.add (local.get $a1) (i32.const 8)))
          (local.set $a2 (i32.add (local.get $a2) (i32.const 8)))
          (local.set $a3 (i32.add (local.get $a3) (i32.const 8)))
          (local.set $b (i32.add (local.get $b) (i32.const 64)))
          (br_if $k (i32.lt_u (local.get $a) (local.get $end))))))
    (if (i32.and (local.get $kq) (i32.const 1))
      (then
        (local.set $b0 (v128.load (local.get $b)))
        (local.set $b1 (v128.load offset=16 (local.get $b)))
        (local.set $av (v128.load32_splat (local.get $a)))
        (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
        (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat (local.get $a1)))
        (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
        (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat (local.get $a2)))
        (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
        (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat (local.get $a3)))
        (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
        (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))))
    (v128.store (local.get $c) (i32x4.add (v128.load (local.get $c)) (local.get $c00)))
    (v128.store offset=16 (local.get $c) (i32x4.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (i32x4.add (v128.load (local.get $c)) (local.get $c10)))
    (v128.store offset=16 (local.get $c) (i32x4.add (v128.load offset=16 (local.get $c)) (local.get $c11)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (i32x4.add (v128.load (local.get $c)) (local.get $c20)))
    (v128.store offset=16 (local.get $c) (i32x4.add (v128.load offset=16 (local.get $c)) (local.get $c21)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (i32x4.add (v128.load (local.get $c)) (local.get $c30)))
    (v128.store offset=16 (local.get $c) (i32x4.add (v128.load offset=16 (local.get $c)) (local.get $c31))))

  ;; C[mp × np] += A·B; mp a multiple of 4, np of 8, kq (k pairs) ≥ 1, lda bytes per row of A.
  (func (export "gemm") (param $mp i32) (param $np i32) (param $kq i32) (param $a i32) (param $lda i32) (param $b i32) (param $c i32)
    (local $ldc i32) (local $q0 i32) (local $kb i32) (local $j i32) (local $i i32) (local $bp i32)
    (local.set $ldc (i32.shl (local.get $np) (i32.const 2)))
    (loop $kBlocks
      (local.set $kb (select (global.get $KB) (i32.sub (local.get $kq) (local.get $q0))
        (i32.lt_u (global.get $KB) (i32.sub (local.get $kq) (local.get $q0)))))
      (local.set $j (i32.const 0))
      (loop $jTiles
        ;; panel j/8 starts at (j/8)·kq·32 bytes = j·kq·4; its block at q0·32 further.
        (local.set $bp (i32.add (local.get $b)
          (i32.add (i32.mul (local.get $j) (i32.shl (local.get $kq) (i32.const 2))) (i32.shl (local.get $q0) (i32.const 5)))))
        (local.set $i (i32.const 0))
        (loop $iTiles
          (call $kernel (local.get $kb)
            (i32.add (local.get $a) (i32.add (i32.mul (local.get $i) (local.get $lda)) (i32.shl (local.get $q0) (i32.const 2))))
            (local.get $lda)
            (local.get $bp)
            (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2))))
            (local.get $ldc))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $iTiles (i32.lt_u (local.get $i) (local.get $mp))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br_if $jTiles (i32.lt_u (local.get $j) (local.get $np))))
      (local.set $q0 (i32.add (local.get $q0) (global.get $KB)))
      (br_if $kBlocks (i32.lt_u (local.get $q0) (local.get $kq)))))
)
