;; int16 × int16 → int32 GEMM, C = A·B (byte addresses), the kernel of the int16 and int8 paths,
;; with the packing (which also sums the int32 bound's rows) beside it, so no O(mk + kn) pass runs in JS.
;; k is taken in pairs, so one i32x4.dot_i16x8_s multiplies a pair of A's k values (broadcast as
;; one i32) by the same pair of 4 columns of B and adds the two products into each int32 lane:
;;   A: 4-row panels, pair-major: per k pair 4 × (a[r][2q], a[r][2q+1]), 16 bytes (`pack`, R = 4);
;;   B: 8-column panels, pair-major: per k pair 8 × (b[2q][s], b[2q+1][s]), 32 bytes (R = 8);
;;   C: mp × np int32, row stride np (both padded to the tile), written (not accumulated into).
;; The 4×8 tile holds 8 i32x4 accumulators as gemm-f32-tile.wat does, both operands read through
;; one pointer each with constant offsets: per k pair 6 loads, 8 dots and 8 adds for 64
;; multiply-adds, where the fp32 tile's 8 fused multiply-adds do 32. The loop is bound by how many
;; instructions the core issues (31 a pair with one pair an iteration, 9 of them V8's pointer,
;; compare and stack-check bookkeeping), so it takes two pairs an iteration (55 an iteration, 11 of
;; them V8's: 27.5 a pair, 5–9 % faster at 512³; counts from node --print-wasm-code --no-liftoff,
;; Node 20). A 5×8 or 6×8 tile spills: V8 issues an iteration's loads first, so
;; every loaded vector is live beside the accumulators, and 4×8 uses 15 of the 16 xmm registers.
;; With A read in place through four row pointers (the kernel before), V8 kept four pointer
;; increments in the loop and the kernel ran 1.2× the fp32 GEMM at 512³; see
;; docs/kernels.md for the variants measured. Accumulation wraps modulo 2^32; the callers only
;; trust sums that provably stay inside int32 (fixed-point.ts, quant-int8.ts).
;; k is split into equal blocks of at most KB pairs so a B micro-panel block (KB × 32 bytes =
;; 16 KiB, half of this core's 32 KiB L1d) stays in L1 while every row tile of the block streams
;; past it; A in blocks of MC rows (64 × 512 pairs × 4 bytes = 128 KiB, in the 512 KiB L2). 512
;; pairs rather than the fp32 GEMM's 256 k values: a second k block re-reads C, whose rows lie a
;; page apart at 1024 columns, so no prefetcher fetches them and each tile's 8 loads stall the
;; loop; one block of 512 pairs at 1024³ ran 5–12 % faster than two of 256 (three runs of the bare
;; kernel, load 17), and 64 rows against 128 within noise at 512³ and 1024³. At 512³ KB = 128
;; measured 1.6× the fp32 GEMM, 256 (one block) 1.85–2.0×.
(module
  (import "env" "memory" (memory 0))

  (global $KB i32 (i32.const 512))
  (global $MC i32 (i32.const 64))

  ;; Four adjacent rows (row stride rs bytes from p, int8 when $i8) of a panel, q4 pairs (a
  ;; multiple of 4) from the rows' starts: 4 pairs of each row per step, an i32 4×4 transpose, four
  ;; stores of one pair of the 4 rows each, step bytes apart from o. Eight shuffles per 16 pairs
  ;; where the scalar loop does 16 loads and 16 stores. With $l1 ≠ 0 the four rows' Σ|x| over
  ;; those pairs go to l1 (4 f64), summed from the vectors already loaded: the int32 bound's row
  ;; sums then cost no second pass over A.
  (func $pack4 (param $p i32) (param $rs i32) (param $i8 i32) (param $o i32) (param $step i32) (param $q4 i32) (param $l1 i32)
    (local $q i32) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $w0 i64) (local $w1 i64) (local $w2 i64) (local $w3 i64) (local $end i32) (local $one v128)
    (local.set $one (v128.const i16x8 1 1 1 1 1 1 1 1))
    ;; Chunks of at most 65,536 pairs (16,384 steps) keep the flush, a call, out of the step loop.
    (loop $chunks
    (local.set $end (i32.add (local.get $q) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $q4)) (then (local.set $end (local.get $q4))))
    (block $e (loop $quads
      (br_if $e (i32.ge_u (local.get $q) (local.get $end)))
      (if (local.get $i8)
        (then
          (local.set $r0 (v128.load64_zero (local.get $p)))
          (local.set $r0 (i16x8.extend_low_i8x16_s (local.get $r0)))
          (local.set $r1 (i16x8.extend_low_i8x16_s (v128.load64_zero (i32.add (local.get $p) (local.get $rs)))))
          (local.set $r2 (i16x8.extend_low_i8x16_s (v128.load64_zero (i32.add (local.get $p) (i32.shl (local.get $rs) (i32.const 1))))))
          (local.set $r3 (i16x8.extend_low_i8x16_s (v128.load64_zero (i32.add (local.get $p) (i32.mul (local.get $rs) (i32.const 3))))))
          (local.set $p (i32.add (local.get $p) (i32.const 8))))
        (else
          (local.set $r0 (v128.load (local.get $p)))
          (local.set $r1 (v128.load (i32.add (local.get $p) (local.get $rs))))
          (local.set $r2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $rs) (i32.const 1)))))
          (local.set $r3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $rs) (i32.const 3)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))))
      (if (local.get $l1)
        (then
          ;; |x| pairs summed as x·sign(x) by one dot (sign ±1: x >> 15, or 1), exact for −32768,
          ;; whose 32,768 only the int32 lane holds: 4 instructions a vector, where i16x8.abs and
          ;; extadd_pairwise_u take 5 (V8 lowers the latter to a shift, a blend and an add).
          (local.set $s0 (i32x4.add (local.get $s0) (i32x4.dot_i16x8_s (local.get $r0) (v128.or (i16x8.shr_s (local.get $r0) (i32.const 15)) (local.get $one)))))
          (local.set $s1 (i32x4.add (local.get $s1) (i32x4.dot_i16x8_s (local.get $r1) (v128.or (i16x8.shr_s (local.get $r1) (i32.const 15)) (local.get $one)))))
          (local.set $s2 (i32x4.add (local.get $s2) (i32x4.dot_i16x8_s (local.get $r2) (v128.or (i16x8.shr_s (local.get $r2) (i32.const 15)) (local.get $one)))))
          (local.set $s3 (i32x4.add (local.get $s3) (i32x4.dot_i16x8_s (local.get $r3) (v128.or (i16x8.shr_s (local.get $r3) (i32.const 15)) (local.get $one)))))))
      ;; t0 = r0.0 r1.0 r0.1 r1.1, t1 = r2.0 r3.0 r2.1 r3.1 (i32 lanes): pairs 0 and 1 of the 4 rows
      (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
      (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
      (v128.store (local.get $o) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
      (local.set $o (i32.add (local.get $o) (local.get $step)))
      (v128.store (local.get $o) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
      (local.set $o (i32.add (local.get $o) (local.get $step)))
      ;; pairs 2 and 3
      (local.set $t0 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
      (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
      (v128.store (local.get $o) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
      (local.set $o (i32.add (local.get $o) (local.get $step)))
      (v128.store (local.get $o) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
      (local.set $o (i32.add (local.get $o) (local.get $step)))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (br $quads)))
    (if (local.get $l1)
      (then
        (local.set $w0 (i64.add (local.get $w0) (call $lanes (local.get $s0))))
        (local.set $w1 (i64.add (local.get $w1) (call $lanes (local.get $s1))))
        (local.set $w2 (i64.add (local.get $w2) (call $lanes (local.get $s2))))
        (local.set $w3 (i64.add (local.get $w3) (call $lanes (local.get $s3))))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))))
    (br_if $chunks (i32.lt_u (local.get $q) (local.get $q4))))
    (if (local.get $l1)
      (then
        (f64.store (local.get $l1) (f64.convert_i64_u (local.get $w0)))
        (f64.store offset=8 (local.get $l1) (f64.convert_i64_u (local.get $w1)))
        (f64.store offset=16 (local.get $l1) (f64.convert_i64_u (local.get $w2)))
        (f64.store offset=24 (local.get $l1) (f64.convert_i64_u (local.get $w3))))))

  ;; The sum of an i32x4's lanes read unsigned, as an i64.
  (func $lanes (param $v v128) (result i64)
    (i64.add
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $v))) (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $v))))
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $v))) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $v))))))

  ;; |x| of an int16 or int8 value held sign-extended in an i32, as an i64.
  (func $abs64 (param $x i32) (result i64)
    (i64.extend_i32_u (select (local.get $x) (i32.sub (i32.const 0) (local.get $x)) (i32.ge_s (local.get $x) (i32.const 0)))))

  ;; Pack `rows` rows of k int16 or int8 values (element (i, p) at src + i·rs + p·cs bytes; int8
  ;; when $i8, sign-extended to int16) into panels of R rows (4 or 8), pair-major: panel t holds,
  ;; per k pair q, R i32s (x[i][2q], x[i][2q+1]) at dst + (t·kq·R + q·R + i mod R)·4. An odd k's
  ;; last pair and the rows past `rows` are zero, so they add nothing. A, and Bᵀ (a dense layer's
  ;; [out, in] weights), pack with rs = row stride and cs = element size; B as k×n with rs =
  ;; element size and cs = row stride (its "rows" are then its columns). With l1 ≠ 0, row i's
  ;; Σ_p |x[i][p]| goes to l1 + 8i as an f64 (the int32 bound's A side: rowL1 in gemm-i16.ts),
  ;; from the values as they are packed.
  (func (export "pack") (param $rows i32) (param $k i32) (param $src i32) (param $rs i32) (param $cs i32)
    (param $i8 i32) (param $R i32) (param $dst i32) (param $l1 i32)
    (local $kq i32) (local $i i32) (local $q i32) (local $p i32) (local $o i32) (local $step i32) (local $lo i32) (local $hi i32)
    (local $q4 i32) (local $x i32) (local $s i64) (local $done i32)
    (local.set $kq (i32.shr_u (i32.add (local.get $k) (i32.const 1)) (i32.const 1)))
    ;; Rows along the source's rows (cs = the element's size) go four at a time through $pack4 for
    ;; their first q4 pairs (a multiple of 4); the scalar loop below does the rest of each row.
    (if (i32.eq (local.get $cs) (select (i32.const 1) (i32.const 2) (local.get $i8)))
      (then (local.set $q4 (i32.shl (i32.shr_u (local.get $k) (i32.const 3)) (i32.const 2)))))
    ;; Zero the whole output first where anything is padding: the rows past `rows` and an odd
    ;; k's high halves stay zero. Whole panels of an even k are all written below.
    (if (i32.or (i32.rem_u (local.get $rows) (local.get $R)) (i32.and (local.get $k) (i32.const 1)))
      (then (memory.fill (local.get $dst) (i32.const 0)
        (i32.shl (i32.mul (i32.mul (i32.div_u (i32.add (local.get $rows) (i32.sub (local.get $R) (i32.const 1))) (local.get $R))
          (local.get $R)) (local.get $kq)) (i32.const 2)))))
    (local.set $step (i32.shl (local.get $R) (i32.const 2)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      ;; row i's first pair: panel i/R, lane i mod R
      (local.set $o (i32.add (local.get $dst) (i32.shl (i32.add
        (i32.mul (i32.div_u (local.get $i) (local.get $R)) (i32.mul (local.get $kq) (local.get $R)))
        (i32.rem_u (local.get $i) (local.get $R))) (i32.const 2))))
      (local.set $p (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $rs))))
      (local.set $q (i32.const 0))
      (local.set $s (i64.const 0))
      (local.set $done (i32.const 0))
      (if (i32.and (i32.ne (local.get $q4) (i32.const 0))
                   (i32.le_u (i32.add (i32.and (local.get $i) (i32.const -4)) (i32.const 4)) (local.get $rows)))
        (then
          ;; A full group of four rows: its first row packs the group's first q4 pairs (and sums
          ;; the four rows' first 2·q4 values into l1, which each row then adds its tail to).
          (if (i32.eqz (i32.and (local.get $i) (i32.const 3)))
            (then (call $pack4 (local.get $p) (local.get $rs) (local.get $i8) (local.get $o) (local.get $step) (local.get $q4)
              (select (i32.add (local.get $l1) (i32.shl (local.get $i) (i32.const 3))) (i32.const 0) (local.get $l1)))))
          (local.set $done (i32.const 1))
          (local.set $q (local.get $q4))
          (local.set $o (i32.add (local.get $o) (i32.mul (local.get $q4) (local.get $step))))
          (local.set $p (i32.add (local.get $p) (i32.shl (i32.mul (local.get $q4) (local.get $cs)) (i32.const 1))))))
      (if (i32.and (i32.eqz (local.get $i8)) (i32.eq (local.get $cs) (i32.const 2)))
        (then
          ;; int16 along the row: a pair already is the little-endian i32 to store.
          (block $e (loop $pairs
            (br_if $e (i32.ge_u (local.get $q) (i32.shr_u (local.get $k) (i32.const 1))))
            (local.set $x (i32.load (local.get $p)))
            (i32.store (local.get $o) (local.get $x))
            (if (local.get $l1)
              (then (local.set $s (i64.add (local.get $s) (i64.add
                (call $abs64 (i32.shr_s (i32.shl (local.get $x) (i32.const 16)) (i32.const 16)))
                (call $abs64 (i32.shr_s (local.get $x) (i32.const 16))))))))
            (local.set $o (i32.add (local.get $o) (local.get $step)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $pairs))))
        (else
          (block $e (loop $pairs
            (br_if $e (i32.ge_u (local.get $q) (i32.shr_u (local.get $k) (i32.const 1))))
            (if (local.get $i8)
              (then
                (local.set $lo (i32.load8_s (local.get $p)))
                (local.set $hi (i32.load8_s (i32.add (local.get $p) (local.get $cs)))))
              (else
                (local.set $lo (i32.load16_s (local.get $p)))
                (local.set $hi (i32.load16_s (i32.add (local.get $p) (local.get $cs))))))
            (i32.store (local.get $o) (i32.or (i32.and (local.get $lo) (i32.const 0xffff)) (i32.shl (local.get $hi) (i32.const 16))))
            (if (local.get $l1)
              (then (local.set $s (i64.add (local.get $s) (i64.add (call $abs64 (local.get $lo)) (call $abs64 (local.get $hi)))))))
            (local.set $o (i32.add (local.get $o) (local.get $step)))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $cs) (i32.const 1))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $pairs)))))
      (if (i32.and (local.get $k) (i32.const 1))
        (then
          (local.set $x (if (result i32) (local.get $i8) (then (i32.load8_s (local.get $p))) (else (i32.load16_s (local.get $p)))))
          (i32.store16 (local.get $o) (local.get $x))
          (local.set $s (i64.add (local.get $s) (call $abs64 (local.get $x))))))
      (if (local.get $l1)
        (then
          (local.set $x (i32.add (local.get $l1) (i32.shl (local.get $i) (i32.const 3))))
          (f64.store (local.get $x) (f64.add (f64.convert_i64_u (local.get $s))
            (select (f64.load (local.get $x)) (f64.const 0) (local.get $done))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))

  ;; max |x| over len int16s at src (32768 for −32768: abs wraps to 0x8000, read unsigned).
  (func (export "max_abs") (param $len i32) (param $src i32) (result i32)
    (local $end i32) (local $m v128) (local $s i32) (local $x i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $len) (i32.const -8)) (i32.const 1))))
    (block $e (loop $v
      (br_if $e (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $m (i16x8.max_u (local.get $m) (i16x8.abs (v128.load (local.get $src)))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $v)))
    (local.set $m (i16x8.max_u (local.get $m) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
    (local.set $m (i16x8.max_u (local.get $m) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $m) (local.get $m))))
    (local.set $m (i16x8.max_u (local.get $m) (i8x16.shuffle 2 3 0 1 2 3 0 1 2 3 0 1 2 3 0 1 (local.get $m) (local.get $m))))
    (local.set $s (i16x8.extract_lane_u 0 (local.get $m)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $len) (i32.const 7)) (i32.const 1))))
    (block $e (loop $t
      (br_if $e (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $x (i32.load16_s (local.get $src)))
      (local.set $x (select (local.get $x) (i32.sub (i32.const 0) (local.get $x)) (i32.ge_s (local.get $x) (i32.const 0))))
      (local.set $s (select (local.get $s) (local.get $x) (i32.gt_u (local.get $s) (local.get $x))))
      (local.set $src (i32.add (local.get $src) (i32.const 2)))
      (br $t)))
    (local.get $s))

  ;; C[4×8 at c, row stride ldc bytes] += A panel (kq pairs at a) · B panel (kq pairs at b), kq ≥ 1;
  ;; = instead of += when $first (the first k block), so C needs no zeroing beforehand.
  (func $kernel (param $kq i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $first i32)
    (local $end i32) (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $kq) (i32.const 4))))
    ;; Two pairs an iteration, the first ending in an exit test: that branch (an odd kq leaves by
    ;; it) keeps TurboFan from hoisting the second pair's loads above the first pair's dots, which
    ;; spilled accumulators, and A advances between the pairs so both read it at the same offsets
    ;; (V8 keeps one base register per offset of a broadcast load).
    (block $done (loop $k
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
      (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
      (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
      (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
      (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $b0 (v128.load offset=32 (local.get $b)))
      (local.set $b1 (v128.load offset=48 (local.get $b)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
      (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
      (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
      (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $av) (local.get $b0))))
      (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $av) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
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

  ;; C[mp × np] = A·B on packed panels; mp a multiple of 4, np of 8, kq (k pairs) ≥ 1.
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
