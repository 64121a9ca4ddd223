;; int8 × int8 → int32 GEMM on relaxed SIMD's int8 dot product, C = A·B (byte addresses), for an
;; A with no negative value (post-ReLU activations quantized symmetrically lie in [0, 127]).
;; i16x8.relaxed_dot_i8x16_i7x16_s multiplies 16 int8 pairs and adds neighbouring products into 8
;; int16 lanes (one vpmaddubsw: unsigned × signed, at most 2·127·128 = 32,512 a lane, so it never
;; saturates); i32x4.dot_i16x8_s by a vector of ones (vpmaddwd) adds lane pairs into int32, and
;; i32x4.add into the accumulator: 16 multiply-adds in 3 instructions, where gemm-i16.wat's
;; dot_i16x8_s + add do 8 in 2. The instruction is defined (the same on every engine) only while
;; its second operand lies in [0, 127]: A is that operand, B (weights, any int8) the first.
;; i32x4.relaxed_dot_i8x16_i7x16_add_s would say the same in one instruction, but V8 11.3
;; re-creates its vector of ones before every use (5 instructions; the kernel ran no faster than
;; the int16 one at 512³), while a ones vector held in a local stays in a register. A module with a
;; relaxed instruction does not validate without the feature, hence a module of its own; gemm-i8.ts
;; loads it only where it validates and its self-test computes right. (V8 11.3's baseline compiler,
;; Liftoff, also gets the add_s form wrong; this form is right in both tiers: docs/kernels.md.)
;; k is taken in quads (a k % 4 tail is zero-padded by `pack`):
;;   A: 4-row panels, quad-major: per k quad 4 × (a[r][4q..4q+3]), 16 bytes (R = 4);
;;   B: 8-column panels, quad-major: per k quad 8 × (b[4q..4q+3][s]), 32 bytes (R = 8);
;;   C: mp × np int32, row stride np (both padded to the tile), written (not accumulated into).
;; The tile and the blocking are gemm-i16.wat's, with quads where it has pairs: a B micro-panel
;; block of 512 quads is again 16 KiB, an A block of 64 rows 128 KiB (docs/kernels.md says why).
;; The loop takes two quads an iteration, as gemm-i16.wat takes two pairs.
(module
  (import "env" "memory" (memory 0))

  (global $KB i32 (i32.const 512))
  (global $MC i32 (i32.const 64))

  ;; Does any of len int8s at src have its sign bit set? Four vectors a step OR-ed together, so
  ;; a signed operand (found in its first 64 bytes, almost always) costs next to nothing.
  (func (export "any_negative") (param $len i32) (param $src i32) (result i32)
    (local $end i32) (local $x i32)
    (local.set $end (i32.add (local.get $src) (i32.and (local.get $len) (i32.const -64))))
    (block $e (loop $v
      (br_if $e (i32.ge_u (local.get $src) (local.get $end)))
      (if (i8x16.bitmask (v128.or
            (v128.or (v128.load (local.get $src)) (v128.load offset=16 (local.get $src)))
            (v128.or (v128.load offset=32 (local.get $src)) (v128.load offset=48 (local.get $src)))))
        (then (return (i32.const 1))))
      (local.set $src (i32.add (local.get $src) (i32.const 64)))
      (br $v)))
    (local.set $end (i32.add (local.get $end) (i32.and (local.get $len) (i32.const 63))))
    (block $e (loop $t
      (br_if $e (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $x (i32.or (local.get $x) (i32.load8_u (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 1)))
      (br $t)))
    (i32.shr_u (i32.and (local.get $x) (i32.const 0x80)) (i32.const 7)))

  ;; Pack `rows` rows of k int8s (element (i, p) at src + i·rs + p·cs bytes) into panels of R rows
  ;; (4 or 8), quad-major: panel t holds, per k quad q, R i32s (x[i][4q..4q+3]) at
  ;; dst + (t·kq·R + q·R + i mod R)·4, kq = ⌈k/4⌉. The k tail's missing bytes and the rows past
  ;; `rows` are zero, so they add nothing. A, and Bᵀ (a dense layer's [out, in] weights), pack with
  ;; rs = row stride and cs = 1, a quad then being one unaligned i32 load; B as k×n with rs = 1
  ;; and cs = its row stride (its "rows" are then its columns), four byte loads a quad.
  (func (export "pack") (param $rows i32) (param $k i32) (param $src i32) (param $rs i32) (param $cs i32)
    (param $R i32) (param $dst i32)
    (local $kq i32) (local $full i32) (local $i i32) (local $q i32) (local $p i32) (local $o i32) (local $step i32)
    (local $t i32) (local $w i32)
    (local.set $kq (i32.shr_u (i32.add (local.get $k) (i32.const 3)) (i32.const 2)))
    (local.set $full (i32.shr_u (local.get $k) (i32.const 2)))
    ;; Padding (rows past `rows`, a k tail's missing bytes) must be zero; whole panels of a k
    ;; divisible by 4 are all written below.
    (if (i32.or (i32.rem_u (local.get $rows) (local.get $R)) (i32.and (local.get $k) (i32.const 3)))
      (then (memory.fill (local.get $dst) (i32.const 0)
        (i32.shl (i32.mul (i32.mul (i32.div_u (i32.add (local.get $rows) (i32.sub (local.get $R) (i32.const 1))) (local.get $R))
          (local.get $R)) (local.get $kq)) (i32.const 2)))))
    (local.set $step (i32.shl (local.get $R) (i32.const 2)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $o (i32.add (local.get $dst) (i32.shl (i32.add
        (i32.mul (i32.div_u (local.get $i) (local.get $R)) (i32.mul (local.get $kq) (local.get $R)))
        (i32.rem_u (local.get $i) (local.get $R))) (i32.const 2))))
      (local.set $p (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $rs))))
      (local.set $q (i32.const 0))
      (if (i32.eq (local.get $cs) (i32.const 1))
        (then
          (block $e (loop $quads
            (br_if $e (i32.ge_u (local.get $q) (local.get $full)))
            (i32.store (local.get $o) (i32.load (local.get $p)))
            (local.set $o (i32.add (local.get $o) (local.get $step)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $quads))))
        (else
          (block $e (loop $quads
            (br_if $e (i32.ge_u (local.get $q) (local.get $full)))
            (i32.store (local.get $o) (i32.or
              (i32.or (i32.load8_u (local.get $p)) (i32.shl (i32.load8_u (i32.add (local.get $p) (local.get $cs))) (i32.const 8)))
              (i32.or (i32.shl (i32.load8_u (i32.add (local.get $p) (i32.shl (local.get $cs) (i32.const 1)))) (i32.const 16))
                (i32.shl (i32.load8_u (i32.add (local.get $p) (i32.mul (local.get $cs) (i32.const 3)))) (i32.const 24)))))
            (local.set $o (i32.add (local.get $o) (local.get $step)))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $cs) (i32.const 2))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $quads)))))
      ;; the tail quad: k % 4 bytes, the rest of the i32 zero
      (local.set $w (i32.const 0))
      (local.set $t (i32.const 0))
      (block $e (loop $tail
        (br_if $e (i32.ge_u (local.get $t) (i32.and (local.get $k) (i32.const 3))))
        (local.set $w (i32.or (local.get $w) (i32.shl (i32.load8_u (local.get $p)) (i32.shl (local.get $t) (i32.const 3)))))
        (local.set $p (i32.add (local.get $p) (local.get $cs)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tail)))
      (if (i32.and (local.get $k) (i32.const 3)) (then (i32.store (local.get $o) (local.get $w))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))

  ;; C[4×8 at c, row stride ldc bytes] += A panel (kq quads at a) · B panel (kq quads at b), kq ≥ 1;
  ;; = instead of += when $first (the first k block), so C needs no zeroing beforehand.
  ;; The ones vector takes the 16th register the int16 tile leaves free, so 8 accumulators, 2 B
  ;; vectors, the ones and a temporary leave room for two A broadcasts, not four: V8 issues a
  ;; basic block's loads first, and with all four live it spilled an accumulator every quad. So A
  ;; advances by 8 bytes after every two rows and an exit test follows (it never fires mid-quad:
  ;; a quad's second half lies before `end`), which ends the block; written plainly, the
  ;; two-quad loop ran 2.07–2.27× the fp32 GEMM at 512³, split so 2.43–2.57× (bare kernels on
  ;; packed operands, same process, load 9).
  (func $kernel (param $kq i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $first i32)
    (local $end i32) (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $ones v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $kq) (i32.const 4))))
    (local.set $ones (v128.const i16x8 1 1 1 1 1 1 1 1))
    (block $done (loop $k
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b0) (local.get $av)) (local.get $ones))))
      (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b1) (local.get $av)) (local.get $ones))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b0) (local.get $av)) (local.get $ones))))
      (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b1) (local.get $av)) (local.get $ones))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b0) (local.get $av)) (local.get $ones))))
      (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b1) (local.get $av)) (local.get $ones))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b0) (local.get $av)) (local.get $ones))))
      (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b1) (local.get $av)) (local.get $ones))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $b0 (v128.load offset=32 (local.get $b)))
      (local.set $b1 (v128.load offset=48 (local.get $b)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b0) (local.get $av)) (local.get $ones))))
      (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b1) (local.get $av)) (local.get $ones))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b0) (local.get $av)) (local.get $ones))))
      (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b1) (local.get $av)) (local.get $ones))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b0) (local.get $av)) (local.get $ones))))
      (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b1) (local.get $av)) (local.get $ones))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b0) (local.get $av)) (local.get $ones))))
      (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $b1) (local.get $av)) (local.get $ones))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (br_if $k (i32.lt_u (local.get $a) (local.get $end)))))
    (if (local.get $first)
      (then
        (v128.store (local.get $c) (local.get $c00))
        (v128.store offset=16 (local.get $c) (local.get $c01))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store (local.get $c) (local.get $c10))
        (v128.store offset=16 (local.get $c) (local.get $c11))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store (local.get $c) (local.get $c20))
        (v128.store offset=16 (local.get $c) (local.get $c21))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store (local.get $c) (local.get $c30))
        (v128.store offset=16 (local.get $c) (local.get $c31)))
      (else
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
        (v128.store offset=16 (local.get $c) (i32x4.add (v128.load offset=16 (local.get $c)) (local.get $c31))))))

  ;; C[mp × np] = A·B on packed panels; mp a multiple of 4, np of 8, kq (k quads) ≥ 1.
  (func (export "gemm") (param $mp i32) (param $np i32) (param $kq i32) (param $a i32) (param $b i32) (param $c i32)
    (local $ldc i32) (local $q0 i32) (local $kBlock i32) (local $kb i32) (local $i0 i32) (local $iEnd i32)
    (local $j i32) (local $i i32) (local $bp i32)
    (local.set $ldc (i32.shl (local.get $np) (i32.const 2)))
    ;; kBlock = ceil(kq / ceil(kq / KB)): no short tail block pays C's load and store.
    (local.set $kBlock (i32.div_u (i32.sub (i32.add (local.get $kq) (global.get $KB)) (i32.const 1)) (global.get $KB)))
    (local.set $kBlock (i32.div_u (i32.sub (i32.add (local.get $kq) (local.get $kBlock)) (i32.const 1)) (local.get $kBlock)))
    (loop $kBlocks
      (local.set $kb (select (local.get $kBlock) (i32.sub (local.get $kq) (local.get $q0))
        (i32.lt_u (local.get $kBlock) (i32.sub (local.get $kq) (local.get $q0)))))
      (local.set $i0 (i32.const 0))
      (loop $iBlocks
        (local.set $iEnd (i32.add (local.get $i0) (global.get $MC)))
        (if (i32.gt_u (local.get $iEnd) (local.get $mp)) (then (local.set $iEnd (local.get $mp))))
        (local.set $j (i32.const 0))
        (loop $jTiles
          ;; B panel j/8 starts at (j/8)·kq·32 bytes = j·kq·4, its block q0·32 further; A panel
          ;; i/4 at i·kq·4, its block q0·16 further.
          (local.set $bp (i32.add (local.get $b)
            (i32.add (i32.mul (local.get $j) (i32.shl (local.get $kq) (i32.const 2))) (i32.shl (local.get $q0) (i32.const 5)))))
          (local.set $i (local.get $i0))
          (loop $iTiles
            (call $kernel (local.get $kb)
              (i32.add (local.get $a) (i32.add (i32.mul (local.get $i) (i32.shl (local.get $kq) (i32.const 2))) (i32.shl (local.get $q0) (i32.const 4))))
              (local.get $bp)
              (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2))))
              (local.get $ldc) (i32.eqz (local.get $q0)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br_if $iTiles (i32.lt_u (local.get $i) (local.get $iEnd))))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br_if $jTiles (i32.lt_u (local.get $j) (local.get $np))))
        (local.set $i0 (local.get $iEnd))
        (br_if $iBlocks (i32.lt_u (local.get $i0) (local.get $mp))))
      (local.set $q0 (i32.add (local.get $q0) (local.get $kBlock)))
      (br_if $kBlocks (i32.lt_u (local.get $q0) (local.get $kq)))))
)
