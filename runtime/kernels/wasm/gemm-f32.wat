;; fp32 GEMM, C += alpha·op(A)·op(B), on row-major operands in the shared memory (byte addresses;
;; strides in elements). The Goto/BLIS structure of gemm-core.ts with 128-bit SIMD: B is packed
;; into kc×8 micro-panels (one k step = two f32x4 vectors), A into 4×kc micro-panels with alpha
;; folded in, and a 4×8 micro-kernel keeps its 8 f32x4 accumulators in registers. The micro-kernel
;; is imported ("tile" "tile"), so one driver serves both gemm-f32-tile.wat (f32x4.mul + add) and
;; gemm-f32-tile-fma.wat (relaxed SIMD's fused multiply-add); a call per 4×8 tile across modules
;; measured 2–5 % against the same kernel inlined in one module.
;; Blocking: the 8 KiB B micro-panel (kc = 256) stays in L1 while all of A's micro-panels of the
;; block stream past it; A's block (MC×KC×4 = 128 KiB) stays in L2. Other MC and KC (64–256 ×
;; 128–512) measured within noise at 1024³.
(module
  (import "env" "memory" (memory 0))
  ;; C[mr×8 at c, row stride ldc bytes] += A panel (4×kc at a) · B panel (kc×8 at b); kc ≥ 1, 1 ≤ mr ≤ 4.
  ;; acc = 0: C = 0 + the product, C not read.
  (import "tile" "tile" (func $kernel (param i32 i32 i32 i32 i32 i32 i32)))

  (global $KC i32 (i32.const 256))
  (global $MC i32 (i32.const 128))
  (global $NC i32 (i32.const 4096))

  ;; Bytes of workspace `gemm` needs for an n-column product: A block, B block, one edge tile.
  (func (export "work_bytes") (param $n i32) (result i32)
    (local $nc i32)
    (local.set $nc (i32.and (i32.add (local.get $n) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $nc) (global.get $NC)) (then (local.set $nc (global.get $NC))))
    (i32.add
      (i32.mul (i32.mul (global.get $MC) (global.get $KC)) (i32.const 4))
      (i32.add (i32.mul (i32.mul (local.get $nc) (global.get $KC)) (i32.const 4)) (i32.const 128))))

  ;; A 4×4 block transposed, times alpha: four vectors along the source's rows (row stride ss
  ;; bytes) become four vectors along its columns (stored ds bytes apart). The packs use it where
  ;; a panel's values lie across the source's rows (untransposed A, transposed B): eight shuffles
  ;; per 16 floats instead of 16 scalar loads and stores.
  (func $t4 (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32) (param $al v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128)
    (local.set $r0 (v128.load (local.get $src)))
    (local.set $r1 (v128.load (i32.add (local.get $src) (local.get $ss))))
    (local.set $r2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $ss) (i32.const 1)))))
    (local.set $r3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $ss) (i32.const 3)))))
    ;; t0 = r0[0] r1[0] r0[1] r1[1], t1 = r2[0] r3[0] r2[1] r3[1]
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
    (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
    (v128.store (local.get $dst) (f32x4.mul (local.get $al)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))))
    (v128.store (i32.add (local.get $dst) (local.get $ds)) (f32x4.mul (local.get $al)
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))
    ;; the same for columns 2 and 3
    (local.set $t0 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
    (v128.store (i32.add (local.get $dst) (i32.shl (local.get $ds) (i32.const 1))) (f32x4.mul (local.get $al)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))))
    (v128.store (i32.add (local.get $dst) (i32.mul (local.get $ds) (i32.const 3))) (f32x4.mul (local.get $al)
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))))

  ;; Pack mc rows × kc columns of op(A) (row stride rs, column stride cs, bytes) times alpha into
  ;; 4-row micro-panels, k-major; rows past mc are zero.
  (func $packA (param $mc i32) (param $kc i32) (param $a i32) (param $rs i32) (param $cs i32)
    (param $alpha f32) (param $dst i32)
    (local $i i32) (local $r i32) (local $q i32) (local $q0 i32) (local $src i32) (local $o i32) (local $al v128)
    (local.set $al (f32x4.splat (local.get $alpha)))
    (block $done
      (loop $panels
        (br_if $done (i32.ge_u (local.get $i) (local.get $mc)))
        (if (i32.and (i32.ge_u (i32.sub (local.get $mc) (local.get $i)) (i32.const 4))
                     (i32.eq (local.get $rs) (i32.const 4)))
          (then
            ;; Transposed A: the panel's four rows are adjacent in memory, one vector per k step.
            (local.set $src (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $q (i32.const 0))
            (block $e (loop $k
              (br_if $e (i32.ge_u (local.get $q) (local.get $kc)))
              (v128.store (local.get $dst) (f32x4.mul (local.get $al) (v128.load (local.get $src))))
              (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
              (local.set $src (i32.add (local.get $src) (local.get $cs)))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $k))))
          (else
            ;; Untransposed A with four rows: 4×4 blocks transposed, then the last kc mod 4 steps
            ;; one row at a time, reading along it, as for a short panel.
            (local.set $q0 (i32.const 0))
            (if (i32.and (i32.ge_u (i32.sub (local.get $mc) (local.get $i)) (i32.const 4))
                         (i32.eq (local.get $cs) (i32.const 4)))
              (then
                (local.set $q0 (i32.and (local.get $kc) (i32.const -4)))
                (local.set $src (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rs))))
                (local.set $q (i32.const 0))
                (block $e (loop $kb
                  (br_if $e (i32.ge_u (local.get $q) (local.get $q0)))
                  (call $t4 (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2))) (local.get $rs)
                    (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 4))) (i32.const 16) (local.get $al))
                  (local.set $q (i32.add (local.get $q) (i32.const 4)))
                  (br $kb)))))
            (local.set $r (i32.const 0))
            (loop $rows
              (local.set $o (i32.add (local.get $dst) (i32.add (i32.shl (local.get $r) (i32.const 2)) (i32.shl (local.get $q0) (i32.const 4)))))
              (local.set $q (local.get $q0))
              (if (i32.lt_u (i32.add (local.get $i) (local.get $r)) (local.get $mc))
                (then
                  (local.set $src (i32.add (i32.add (local.get $a)
                    (i32.mul (i32.add (local.get $i) (local.get $r)) (local.get $rs))) (i32.mul (local.get $q0) (local.get $cs))))
                  (block $e (loop $k
                    (br_if $e (i32.ge_u (local.get $q) (local.get $kc)))
                    (f32.store (local.get $o) (f32.mul (local.get $alpha) (f32.load (local.get $src))))
                    (local.set $o (i32.add (local.get $o) (i32.const 16)))
                    (local.set $src (i32.add (local.get $src) (local.get $cs)))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $k))))
                (else
                  (block $e (loop $k
                    (br_if $e (i32.ge_u (local.get $q) (local.get $kc)))
                    (f32.store (local.get $o) (f32.const 0))
                    (local.set $o (i32.add (local.get $o) (i32.const 16)))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $k)))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $rows (i32.lt_u (local.get $r) (i32.const 4))))
            (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 4))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $panels))))

  ;; Pack kc rows × nc columns of op(B) (strides in bytes) into 8-column micro-panels, k-major;
  ;; columns past nc are zero.
  (func $packB (param $kc i32) (param $nc i32) (param $b i32) (param $rs i32) (param $cs i32) (param $dst i32)
    (local $j i32) (local $s i32) (local $q i32) (local $q0 i32) (local $src i32) (local $o i32)
    (block $done
      (loop $panels
        (br_if $done (i32.ge_u (local.get $j) (local.get $nc)))
        (if (i32.and (i32.ge_u (i32.sub (local.get $nc) (local.get $j)) (i32.const 8))
                     (i32.eq (local.get $cs) (i32.const 4)))
          (then
            ;; Untransposed B: each k step of the panel is 8 adjacent values, two vectors.
            (local.set $src (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $q (i32.const 0))
            (block $e (loop $k
              (br_if $e (i32.ge_u (local.get $q) (local.get $kc)))
              (v128.store (local.get $dst) (v128.load (local.get $src)))
              (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
              (local.set $src (i32.add (local.get $src) (local.get $rs)))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $k))))
          (else
            ;; Transposed B with eight columns: two 4×4 blocks transposed per four k steps, then the
            ;; last kc mod 4 steps one column at a time, reading down it, as for a short panel.
            (local.set $q0 (i32.const 0))
            (if (i32.and (i32.ge_u (i32.sub (local.get $nc) (local.get $j)) (i32.const 8))
                         (i32.eq (local.get $rs) (i32.const 4)))
              (then
                (local.set $q0 (i32.and (local.get $kc) (i32.const -4)))
                (local.set $src (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $cs))))
                (local.set $q (i32.const 0))
                (block $e (loop $kb
                  (br_if $e (i32.ge_u (local.get $q) (local.get $q0)))
                  (call $t4 (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2))) (local.get $cs)
                    (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 5))) (i32.const 32) (v128.const f32x4 1 1 1 1))
                  (call $t4 (i32.add (i32.add (local.get $src) (i32.shl (local.get $cs) (i32.const 2))) (i32.shl (local.get $q) (i32.const 2)))
                    (local.get $cs) (i32.add (local.get $dst) (i32.add (i32.shl (local.get $q) (i32.const 5)) (i32.const 16)))
                    (i32.const 32) (v128.const f32x4 1 1 1 1))
                  (local.set $q (i32.add (local.get $q) (i32.const 4)))
                  (br $kb)))))
            (local.set $s (i32.const 0))
            (loop $cols
              (local.set $o (i32.add (local.get $dst) (i32.add (i32.shl (local.get $s) (i32.const 2)) (i32.shl (local.get $q0) (i32.const 5)))))
              (local.set $q (local.get $q0))
              (if (i32.lt_u (i32.add (local.get $j) (local.get $s)) (local.get $nc))
                (then
                  (local.set $src (i32.add (i32.add (local.get $b)
                    (i32.mul (i32.add (local.get $j) (local.get $s)) (local.get $cs))) (i32.mul (local.get $q0) (local.get $rs))))
                  (block $e (loop $k
                    (br_if $e (i32.ge_u (local.get $q) (local.get $kc)))
                    (f32.store (local.get $o) (f32.load (local.get $src)))
                    (local.set $o (i32.add (local.get $o) (i32.const 32)))
                    (local.set $src (i32.add (local.get $src) (local.get $rs)))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $k))))
                (else
                  (block $e (loop $k
                    (br_if $e (i32.ge_u (local.get $q) (local.get $kc)))
                    (f32.store (local.get $o) (f32.const 0))
                    (local.set $o (i32.add (local.get $o) (i32.const 32)))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $k)))))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (br_if $cols (i32.lt_u (local.get $s) (i32.const 8))))
            (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panels))))

  ;; A tile short of columns (nr < 8): the product into a scratch tile, then only its mr × nr
  ;; corner added into C (stored when acc = 0), so nothing outside C is ever read or written.
  (func $edge (param $mr i32) (param $nr i32) (param $kc i32) (param $a i32) (param $b i32)
    (param $c i32) (param $ldc i32) (param $tile i32) (param $acc i32)
    (local $r i32) (local $s i32) (local $p i32) (local $v f32)
    (call $kernel (local.get $kc) (local.get $a) (local.get $b) (local.get $tile) (i32.const 32) (local.get $mr) (i32.const 0))
    (loop $rows
      (local.set $s (i32.const 0))
      (loop $cols
        (local.set $p (i32.add (local.get $c) (i32.add (i32.mul (local.get $r) (local.get $ldc)) (i32.shl (local.get $s) (i32.const 2)))))
        (local.set $v (f32.load (i32.add (local.get $tile) (i32.shl (i32.add (i32.shl (local.get $r) (i32.const 3)) (local.get $s)) (i32.const 2)))))
        (if (local.get $acc) (then (local.set $v (f32.add (f32.load (local.get $p)) (local.get $v)))))
        (f32.store (local.get $p) (local.get $v))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $s) (local.get $nr))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $r) (local.get $mr)))))

  (func $min (param $x i32) (param $y i32) (result i32)
    (select (local.get $x) (local.get $y) (i32.lt_u (local.get $x) (local.get $y))))

  ;; C[m×n] += alpha·op(A)·op(B); `work` holds work_bytes(n) bytes. Sizes must be non-zero.
  ;; transB = 2: B is already in the packed layout, 8-column panels of all k steps, panel j at
  ;; b + j·k·32 bytes (ldb unused), so the conv gather's output needs no packing pass.
  ;; k is split into equal blocks of at most KC so no short tail block pays C's load and store.
  ;; overwrite = 1: C = alpha·op(A)·op(B) (the first k block stores; C is never read).
  (func (export "gemm") (param $m i32) (param $n i32) (param $k i32) (param $alpha f32)
    (param $a i32) (param $lda i32) (param $transA i32)
    (param $b i32) (param $ldb i32) (param $transB i32)
    (param $c i32) (param $ldc i32) (param $work i32) (param $overwrite i32)
    (local $acc i32)
    (local $rsA i32) (local $csA i32) (local $rsB i32) (local $csB i32)
    (local $kBlock i32) (local $bWork i32) (local $tile i32) (local $bPanels i32) (local $bStep i32)
    (local $j0 i32) (local $nc i32) (local $p0 i32) (local $kc i32) (local $i0 i32) (local $mc i32)
    (local $jr i32) (local $ir i32) (local $mr i32) (local $nr i32) (local $ap i32) (local $bp i32) (local $cp i32)
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))
    (if (local.get $transA)
      (then (local.set $rsA (i32.const 4)) (local.set $csA (i32.shl (local.get $lda) (i32.const 2))))
      (else (local.set $rsA (i32.shl (local.get $lda) (i32.const 2))) (local.set $csA (i32.const 4))))
    (if (local.get $transB)
      (then (local.set $rsB (i32.const 4)) (local.set $csB (i32.shl (local.get $ldb) (i32.const 2))))
      (else (local.set $rsB (i32.shl (local.get $ldb) (i32.const 2))) (local.set $csB (i32.const 4))))
    ;; kBlock = ceil(k / ceil(k / KC))
    (local.set $kBlock (i32.div_u (i32.sub (i32.add (local.get $k) (global.get $KC)) (i32.const 1)) (global.get $KC)))
    (local.set $kBlock (i32.div_u (i32.sub (i32.add (local.get $k) (local.get $kBlock)) (i32.const 1)) (local.get $kBlock)))
    (local.set $bWork (i32.add (local.get $work) (i32.mul (i32.mul (global.get $MC) (global.get $KC)) (i32.const 4))))
    (local.set $tile (i32.add (local.get $bWork)
      (i32.mul (i32.mul (call $min (i32.and (i32.add (local.get $n) (i32.const 7)) (i32.const -8)) (global.get $NC))
        (global.get $KC)) (i32.const 4))))
    (loop $jBlocks
      (local.set $nc (call $min (global.get $NC) (i32.sub (local.get $n) (local.get $j0))))
      (local.set $p0 (i32.const 0))
      (loop $kBlocks
        (local.set $kc (call $min (local.get $kBlock) (i32.sub (local.get $k) (local.get $p0))))
        (local.set $acc (i32.or (i32.eqz (local.get $overwrite)) (i32.ne (local.get $p0) (i32.const 0))))
        (if (i32.eq (local.get $transB) (i32.const 2))
          (then
            ;; B already packed (conv-gather.wat's gather_panels): full-k panels, k·8 floats apart.
            (local.set $bPanels (i32.add (local.get $b)
              (i32.shl (i32.add (i32.mul (local.get $j0) (local.get $k)) (i32.shl (local.get $p0) (i32.const 3))) (i32.const 2))))
            (local.set $bStep (i32.shl (local.get $k) (i32.const 5))))
          (else
            (call $packB (local.get $kc) (local.get $nc)
              (i32.add (local.get $b) (i32.add (i32.mul (local.get $p0) (local.get $rsB)) (i32.mul (local.get $j0) (local.get $csB))))
              (local.get $rsB) (local.get $csB) (local.get $bWork))
            (local.set $bPanels (local.get $bWork))
            (local.set $bStep (i32.shl (local.get $kc) (i32.const 5)))))
        (local.set $i0 (i32.const 0))
        (loop $iBlocks
          (local.set $mc (call $min (global.get $MC) (i32.sub (local.get $m) (local.get $i0))))
          (call $packA (local.get $mc) (local.get $kc)
            (i32.add (local.get $a) (i32.add (i32.mul (local.get $i0) (local.get $rsA)) (i32.mul (local.get $p0) (local.get $csA))))
            (local.get $rsA) (local.get $csA) (local.get $alpha) (local.get $work))
          (local.set $jr (i32.const 0))
          (loop $jTiles
            (local.set $nr (call $min (i32.const 8) (i32.sub (local.get $nc) (local.get $jr))))
            (local.set $bp (i32.add (local.get $bPanels) (i32.mul (i32.shr_u (local.get $jr) (i32.const 3)) (local.get $bStep))))
            (local.set $ir (i32.const 0))
            (loop $iTiles
              (local.set $mr (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $ir))))
              (local.set $ap (i32.add (local.get $work) (i32.mul (local.get $ir) (i32.shl (local.get $kc) (i32.const 2)))))
              (local.set $cp (i32.add (local.get $c)
                (i32.add (i32.mul (i32.add (local.get $i0) (local.get $ir)) (local.get $ldc))
                  (i32.shl (i32.add (local.get $j0) (local.get $jr)) (i32.const 2)))))
              ;; Rows past m are zero in the A panel; the kernel stores only the first mr rows.
              (if (i32.eq (local.get $nr) (i32.const 8))
                (then (call $kernel (local.get $kc) (local.get $ap) (local.get $bp) (local.get $cp) (local.get $ldc) (local.get $mr) (local.get $acc)))
                (else (call $edge (local.get $mr) (local.get $nr) (local.get $kc) (local.get $ap) (local.get $bp)
                  (local.get $cp) (local.get $ldc) (local.get $tile) (local.get $acc))))
              (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
              (br_if $iTiles (i32.lt_u (local.get $ir) (local.get $mc))))
            (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
            (br_if $jTiles (i32.lt_u (local.get $jr) (local.get $nc))))
          (local.set $i0 (i32.add (local.get $i0) (global.get $MC)))
          (br_if $iBlocks (i32.lt_u (local.get $i0) (local.get $m))))
        (local.set $p0 (i32.add (local.get $p0) (local.get $kBlock)))
        (br_if $kBlocks (i32.lt_u (local.get $p0) (local.get $k))))
      (local.set $j0 (i32.add (local.get $j0) (global.get $NC)))
      (br_if $jBlocks (i32.lt_u (local.get $j0) (local.get $n)))))
)
