;; A dense layer's products over a mostly-zero input (MNIST's pixels: 19 % nonzero) that skip the
;; zeros and still give the fp32 GEMM's bits (gemm-f32.wat with the fused micro-kernel): each
;; output sums its products in the same order, k ascending, from zero within each of the GEMM's
;; k blocks (kb values wide), and adds each block's sum to the output as the GEMM adds a tile's.
;; A skipped product is an exact ±0, which leaves a nonzero sum as it was.
;; Nonzero lists: start[r]..start[r + 1] index (i32) and value (f32) pairs, indices ascending.
;; Sixteen outputs a pass (four f32x4 accumulators and four running totals); n % 16 = 0.
(module
  (import "env" "memory" (memory 0))

;; W [rows, cols] into column-group panels: dst[(r / 16)·cols·16 + c·16 + r % 16] = src[r·cols + c],
  ;; so that a nonzero input's sixteen weights are one 64-byte load and one group's panel (cols·64
  ;; bytes: 49 KiB for MNIST's 784 inputs) is contiguous while a pass walks it. rows % 16 = 0.
  (func (export "panels") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $s i32) (local $d i32) (local $cb i32)
    (local.set $cb (i32.shl (local.get $cols) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $cb))))
      (local.set $d (i32.add (local.get $dst) (i32.add
        (i32.mul (i32.shr_u (local.get $r) (i32.const 4)) (i32.shl (local.get $cb) (i32.const 4)))
        (i32.shl (i32.and (local.get $r) (i32.const 15)) (i32.const 2)))))
      (local.set $c (i32.const 0))
      (block $cdone (loop $col
        (br_if $cdone (i32.ge_u (local.get $c) (local.get $cols)))
        (f32.store (local.get $d) (f32.load (local.get $s)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (local.set $d (i32.add (local.get $d) (i32.const 64)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $col)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

;; For each 16-output group g and each of `lists` lists l: out[l·ldo + (16g + j)·so], j < 16, +=
  ;; Σ value·B[g, index][j] over the list, block by block (a block is indices [i·kb, (i+1)·kb)),
  ;; where B[g, p] is the 16 floats at b + 4·(g·gs + p·rs). Groups outermost: a pass reads one
  ;; group's 16 columns of B, which stay in cache across the lists.
  ;; so = 1: the outputs are contiguous and start from what out holds (the forward's rows of y,
  ;; holding the bias or zeros); so > 1: they are so floats apart, start from zero and are stored
  ;; lane by lane (the weight gradient's columns of dW).
  (func (export "lists") (param $start i32) (param $index i32) (param $value i32) (param $lists i32)
    (param $b i32) (param $gs i32) (param $rs i32) (param $n i32) (param $out i32) (param $ldo i32) (param $so i32) (param $kb i32)
    (local $l i32) (local $o i32) (local $k i32) (local $kEnd i32) (local $p i32) (local $bEnd i32)
    (local $row i32) (local $v v128) (local $dst i32) (local $bg i32) (local $sb i32) (local $rb i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $sb (i32.shl (local.get $so) (i32.const 2)))
    (local.set $rb (i32.shl (local.get $rs) (i32.const 2)))
    (block $odone (loop $group
      (br_if $odone (i32.ge_u (local.get $o) (local.get $n)))
      (local.set $bg (i32.add (local.get $b) (i32.shl (i32.mul (i32.shr_u (local.get $o) (i32.const 4)) (local.get $gs)) (i32.const 2))))
      (local.set $l (i32.const 0))
      (block $ldone (loop $list
        (br_if $ldone (i32.ge_u (local.get $l) (local.get $lists)))
        (local.set $dst (i32.add (local.get $out) (i32.shl
          (i32.add (i32.mul (local.get $l) (local.get $ldo)) (i32.mul (local.get $o) (local.get $so))) (i32.const 2))))
        (if (i32.eq (local.get $so) (i32.const 1))
          (then
            (local.set $t0 (v128.load (local.get $dst)))
            (local.set $t1 (v128.load offset=16 (local.get $dst)))
            (local.set $t2 (v128.load offset=32 (local.get $dst)))
            (local.set $t3 (v128.load offset=48 (local.get $dst))))
          (else
            (local.set $t0 (v128.const i32x4 0 0 0 0)) (local.set $t1 (v128.const i32x4 0 0 0 0))
            (local.set $t2 (v128.const i32x4 0 0 0 0)) (local.set $t3 (v128.const i32x4 0 0 0 0))))
        (local.set $k (i32.load (i32.add (local.get $start) (i32.shl (local.get $l) (i32.const 2)))))
        (local.set $kEnd (i32.load offset=4 (i32.add (local.get $start) (i32.shl (local.get $l) (i32.const 2)))))
        (local.set $bEnd (i32.const 0))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (block $kdone (loop $nz
          (br_if $kdone (i32.ge_u (local.get $k) (local.get $kEnd)))
          (local.set $p (i32.load (i32.add (local.get $index) (i32.shl (local.get $k) (i32.const 2)))))
          ;; a new block: the last one's sum joins the totals, as the GEMM adds a tile to C
          (if (i32.ge_u (local.get $p) (local.get $bEnd))
            (then
              (local.set $t0 (f32x4.add (local.get $t0) (local.get $a0)))
              (local.set $t1 (f32x4.add (local.get $t1) (local.get $a1)))
              (local.set $t2 (f32x4.add (local.get $t2) (local.get $a2)))
              (local.set $t3 (f32x4.add (local.get $t3) (local.get $a3)))
              (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
              (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
              (local.set $bEnd (i32.mul (i32.add (i32.div_u (local.get $p) (local.get $kb)) (i32.const 1)) (local.get $kb)))))
          (local.set $v (v128.load32_splat (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $row (i32.add (local.get $bg) (i32.mul (local.get $p) (local.get $rb))))
          (local.set $a0 (f32x4.relaxed_madd (local.get $v) (v128.load (local.get $row)) (local.get $a0)))
          (local.set $a1 (f32x4.relaxed_madd (local.get $v) (v128.load offset=16 (local.get $row)) (local.get $a1)))
          (local.set $a2 (f32x4.relaxed_madd (local.get $v) (v128.load offset=32 (local.get $row)) (local.get $a2)))
          (local.set $a3 (f32x4.relaxed_madd (local.get $v) (v128.load offset=48 (local.get $row)) (local.get $a3)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $nz)))
        (local.set $t0 (f32x4.add (local.get $t0) (local.get $a0)))
        (local.set $t1 (f32x4.add (local.get $t1) (local.get $a1)))
        (local.set $t2 (f32x4.add (local.get $t2) (local.get $a2)))
        (local.set $t3 (f32x4.add (local.get $t3) (local.get $a3)))
        (if (i32.eq (local.get $so) (i32.const 1))
          (then
            (v128.store (local.get $dst) (local.get $t0))
            (v128.store offset=16 (local.get $dst) (local.get $t1))
            (v128.store offset=32 (local.get $dst) (local.get $t2))
            (v128.store offset=48 (local.get $dst) (local.get $t3)))
          (else
            (call $scatter (local.get $dst) (local.get $sb) (local.get $t0))
            (call $scatter (i32.add (local.get $dst) (i32.shl (local.get $sb) (i32.const 2))) (local.get $sb) (local.get $t1))
            (call $scatter (i32.add (local.get $dst) (i32.shl (local.get $sb) (i32.const 3))) (local.get $sb) (local.get $t2))
            (call $scatter (i32.add (local.get $dst) (i32.mul (local.get $sb) (i32.const 12))) (local.get $sb) (local.get $t3))))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $list)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $group))))

  ;; Four floats s bytes apart from one vector.
  (func $scatter (param $at i32) (param $s i32) (param $v v128)
    (f32.store (local.get $at) (f32x4.extract_lane 0 (local.get $v)))
    (f32.store (i32.add (local.get $at) (local.get $s)) (f32x4.extract_lane 1 (local.get $v)))
    (f32.store (i32.add (local.get $at) (i32.shl (local.get $s) (i32.const 1))) (f32x4.extract_lane 2 (local.get $v)))
    (f32.store (i32.add (local.get $at) (i32.mul (local.get $s) (i32.const 3))) (f32x4.extract_lane 3 (local.get $v))))
)
