;; conv2d's data movement on the WebAssembly path (conv-gather.ts has the JS reference and the
;; tables): im2col from a padded input straight into the fp32 GEMM's packed panels, col2im
;; (the adjoint of a plain column matrix, for dx), and the copies between
;; NCHW planes and the GEMM's [channels, images·pixels] matrices. In JS these loops cost more than
;; the GEMM itself on LeNet's layers (a typed-array bounds check and address recomputation per
;; element); here a run of a unit-stride row moves four floats per instruction.
;; Addresses are bytes; tables are i32 float offsets; counts are floats.
(module
  (import "env" "memory" (memory 0))

  ;; img[i·stride] += mat[i] for i < n.
  (func $run (param $img i32) (param $mat i32) (param $n i32) (param $sw i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $mat) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.eq (local.get $sw) (i32.const 1))
      (then
        (local.set $vend (i32.add (local.get $mat) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
        (block $e (loop $v
          (br_if $e (i32.ge_u (local.get $mat) (local.get $vend)))
          (v128.store (local.get $img) (f32x4.add (v128.load (local.get $img)) (v128.load (local.get $mat))))
          (local.set $img (i32.add (local.get $img) (i32.const 16)))
          (local.set $mat (i32.add (local.get $mat) (i32.const 16)))
          (br $v)))))
    (local.set $sw (i32.shl (local.get $sw) (i32.const 2)))
    (block $e (loop $s
      (br_if $e (i32.ge_u (local.get $mat) (local.get $end)))
      (f32.store (local.get $img) (f32.add (f32.load (local.get $img)) (f32.load (local.get $mat))))
      (local.set $img (i32.add (local.get $img) (local.get $sw)))
      (local.set $mat (i32.add (local.get $mat) (i32.const 4)))
      (br $s))))

  ;; col2im: for each tap q and pixel row r, img[taps[q] + rows[r] + x·sw] += mat[q·ld + r·ow + x].
  (func (export "scatter_add") (param $img i32) (param $taps i32) (param $ntaps i32) (param $rows i32) (param $nrows i32)
    (param $ow i32) (param $sw i32) (param $mat i32) (param $ld i32)
    (local $q i32) (local $r i32) (local $t i32) (local $o i32)
    (block $done (loop $tap
      (br_if $done (i32.ge_u (local.get $q) (local.get $ntaps)))
      (local.set $t (i32.load (i32.add (local.get $taps) (i32.shl (local.get $q) (i32.const 2)))))
      (local.set $o (i32.add (local.get $mat) (i32.shl (i32.mul (local.get $q) (local.get $ld)) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $e (loop $row
        (br_if $e (i32.ge_u (local.get $r) (local.get $nrows)))
        (call $run
          (i32.add (local.get $img) (i32.shl (i32.add (local.get $t)
            (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2))))) (i32.const 2)))
          (local.get $o) (local.get $ow) (local.get $sw))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $ow) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $tap))))

  ;; im2col straight into the fp32 GEMM's packed B layout (gemm-f32.wat, transB = 2): column j of
  ;; the column matrix is pixel offset pix[j]; 8-column panel P holds, for each tap q, the 8 values
  ;; img[taps[q] + pix[8P + s]] (zero past npix), panels ntaps·8 floats apart. Packing the
  ;; columns was a second pass over a matrix as large as the gather's output; this is one.
  ;; The two tables play symmetric roles, so the weight gradient's B (columns = taps, k steps =
  ;; pixels) is the same call with them swapped. ones = 1 puts 1.0 in column npix (which must fall
  ;; in the last, short panel): that column of the product is then a row sum of A, conv2d's bias
  ;; gradient computed by the same GEMM.
  (func (export "gather_panels") (param $img i32) (param $taps i32) (param $ntaps i32) (param $pix i32)
    (param $npix i32) (param $dst i32) (param $ones i32)
    (local $j i32) (local $q i32) (local $s i32) (local $cnt i32) (local $t i32) (local $p0 i32) (local $v v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $o4 i32) (local $o5 i32) (local $o6 i32) (local $o7 i32)
    (block $done (loop $panels
      (br_if $done (i32.ge_u (local.get $j) (local.get $npix)))
      (local.set $cnt (i32.sub (local.get $npix) (local.get $j)))
      (local.set $p0 (i32.add (local.get $pix) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $q (i32.const 0))
      (if (i32.lt_u (local.get $cnt) (i32.const 8))
        (then
          ;; The last, short panel: one value at a time, zeros past npix.
          (block $e (loop $tap
            (br_if $e (i32.ge_u (local.get $q) (local.get $ntaps)))
            (local.set $t (i32.load (i32.add (local.get $taps) (i32.shl (local.get $q) (i32.const 2)))))
            (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
            (v128.store offset=16 (local.get $dst) (v128.const i32x4 0 0 0 0))
            (if (local.get $ones)
              (then (f32.store (i32.add (local.get $dst) (i32.shl (local.get $cnt) (i32.const 2))) (f32.const 1))))
            (local.set $s (i32.const 0))
            (block $se (loop $col
              (br_if $se (i32.ge_u (local.get $s) (local.get $cnt)))
              (f32.store (i32.add (local.get $dst) (i32.shl (local.get $s) (i32.const 2)))
                (f32.load (i32.add (local.get $img) (i32.shl (i32.add (local.get $t)
                  (i32.load (i32.add (local.get $p0) (i32.shl (local.get $s) (i32.const 2))))) (i32.const 2)))))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (br $col)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $tap))))
        (else
          (local.set $o0 (i32.add (local.get $img) (i32.shl (i32.load (local.get $p0)) (i32.const 2))))
          (local.set $o7 (i32.add (local.get $img) (i32.shl (i32.load offset=28 (local.get $p0)) (i32.const 2))))
          ;; Pixel offsets rise strictly, so a span of 7 means 8 adjacent pixels: two vectors a tap.
          (if (i32.eq (i32.sub (local.get $o7) (local.get $o0)) (i32.const 28))
            (then
              (block $e (loop $tap
                (br_if $e (i32.ge_u (local.get $q) (local.get $ntaps)))
                (local.set $t (i32.add (local.get $o0)
                  (i32.shl (i32.load (i32.add (local.get $taps) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
                (v128.store (local.get $dst) (v128.load (local.get $t)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $t)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $tap))))
            (else
              ;; A panel across pixel rows or images (or strided): eight loads a tap, as two vectors.
              (local.set $o1 (i32.add (local.get $img) (i32.shl (i32.load offset=4 (local.get $p0)) (i32.const 2))))
              (local.set $o2 (i32.add (local.get $img) (i32.shl (i32.load offset=8 (local.get $p0)) (i32.const 2))))
              (local.set $o3 (i32.add (local.get $img) (i32.shl (i32.load offset=12 (local.get $p0)) (i32.const 2))))
              (local.set $o4 (i32.add (local.get $img) (i32.shl (i32.load offset=16 (local.get $p0)) (i32.const 2))))
              (local.set $o5 (i32.add (local.get $img) (i32.shl (i32.load offset=20 (local.get $p0)) (i32.const 2))))
              (local.set $o6 (i32.add (local.get $img) (i32.shl (i32.load offset=24 (local.get $p0)) (i32.const 2))))
              (block $e (loop $tap
                (br_if $e (i32.ge_u (local.get $q) (local.get $ntaps)))
                  ;; The weight gradient's panels (steps = pixels, columns = 8 taps) almost never have adjacent
                  ;; columns, but 8 steps in a row are usually 8 adjacent pixels: then each tap's 8 values are two
                  ;; vector loads, and 4 × 4 transposes in registers turn them into 8 steps of 8 taps (16 loads
                  ;; rather than 64).
                  (if (if (result i32) (i32.le_u (i32.add (local.get $q) (i32.const 8)) (local.get $ntaps))
                    (then (i32.eq (i32.sub (i32.load offset=28 (local.tee $t (i32.add (local.get $taps) (i32.shl (local.get $q) (i32.const 2)))))
                      (i32.load (local.get $t))) (i32.const 7)))
                    (else (i32.const 0)))
                    (then
                      (local.set $t (i32.shl (i32.load (local.get $t)) (i32.const 2)))
                      (local.set $r0 (v128.load offset=0 (i32.add (local.get $o0) (local.get $t))))
                      (local.set $r1 (v128.load offset=0 (i32.add (local.get $o1) (local.get $t))))
                      (local.set $r2 (v128.load offset=0 (i32.add (local.get $o2) (local.get $t))))
                      (local.set $r3 (v128.load offset=0 (i32.add (local.get $o3) (local.get $t))))
                      (local.set $u0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                      (local.set $u1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                      (local.set $u2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                      (local.set $u3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                      (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u0) (local.get $u2)))
                      (v128.store offset=32 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u0) (local.get $u2)))
                      (v128.store offset=64 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u1) (local.get $u3)))
                      (v128.store offset=96 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u1) (local.get $u3)))
                      (local.set $r0 (v128.load offset=0 (i32.add (local.get $o4) (local.get $t))))
                      (local.set $r1 (v128.load offset=0 (i32.add (local.get $o5) (local.get $t))))
                      (local.set $r2 (v128.load offset=0 (i32.add (local.get $o6) (local.get $t))))
                      (local.set $r3 (v128.load offset=0 (i32.add (local.get $o7) (local.get $t))))
                      (local.set $u0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                      (local.set $u1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                      (local.set $u2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                      (local.set $u3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                      (v128.store offset=16 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u0) (local.get $u2)))
                      (v128.store offset=48 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u0) (local.get $u2)))
                      (v128.store offset=80 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u1) (local.get $u3)))
                      (v128.store offset=112 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u1) (local.get $u3)))
                      (local.set $r0 (v128.load offset=16 (i32.add (local.get $o0) (local.get $t))))
                      (local.set $r1 (v128.load offset=16 (i32.add (local.get $o1) (local.get $t))))
                      (local.set $r2 (v128.load offset=16 (i32.add (local.get $o2) (local.get $t))))
                      (local.set $r3 (v128.load offset=16 (i32.add (local.get $o3) (local.get $t))))
                      (local.set $u0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                      (local.set $u1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                      (local.set $u2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                      (local.set $u3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                      (v128.store offset=128 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u0) (local.get $u2)))
                      (v128.store offset=160 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u0) (local.get $u2)))
                      (v128.store offset=192 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u1) (local.get $u3)))
                      (v128.store offset=224 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u1) (local.get $u3)))
                      (local.set $r0 (v128.load offset=16 (i32.add (local.get $o4) (local.get $t))))
                      (local.set $r1 (v128.load offset=16 (i32.add (local.get $o5) (local.get $t))))
                      (local.set $r2 (v128.load offset=16 (i32.add (local.get $o6) (local.get $t))))
                      (local.set $r3 (v128.load offset=16 (i32.add (local.get $o7) (local.get $t))))
                      (local.set $u0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                      (local.set $u1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                      (local.set $u2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                      (local.set $u3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                      (v128.store offset=144 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u0) (local.get $u2)))
                      (v128.store offset=176 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u0) (local.get $u2)))
                      (v128.store offset=208 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u1) (local.get $u3)))
                      (v128.store offset=240 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u1) (local.get $u3)))
                      (local.set $dst (i32.add (local.get $dst) (i32.const 256)))
                      (local.set $q (i32.add (local.get $q) (i32.const 8)))
                      (br $tap)))
                (local.set $t (i32.shl (i32.load (i32.add (local.get $taps) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2)))
                (local.set $v (f32x4.splat (f32.load (i32.add (local.get $o0) (local.get $t)))))
                (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load (i32.add (local.get $o1) (local.get $t)))))
                (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load (i32.add (local.get $o2) (local.get $t)))))
                (v128.store (local.get $dst) (f32x4.replace_lane 3 (local.get $v) (f32.load (i32.add (local.get $o3) (local.get $t)))))
                (local.set $v (f32x4.splat (f32.load (i32.add (local.get $o4) (local.get $t)))))
                (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load (i32.add (local.get $o5) (local.get $t)))))
                (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load (i32.add (local.get $o6) (local.get $t)))))
                (v128.store offset=16 (local.get $dst) (f32x4.replace_lane 3 (local.get $v) (f32.load (i32.add (local.get $o7) (local.get $t)))))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $tap)))))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $panels))))

  ;; Between a group's channels [ch0, ch0 + chans) of nimg NCHW images (cout channels of hw
  ;; pixels) and the matrix mat[o·nimg·hw + i·hw + t]. toMat = 1: planes → matrix; toMat = 0:
  ;; matrix → planes, adding bias[ch0 + o] (bias 0: none) to every pixel; toMat = 2: the same, then
  ;; ReLU (training folds a conv's only reader, a relu, into the copy out: relu.wat's pmax, so the
  ;; same bits as the relu op).
  (func (export "planes") (param $nchw i32) (param $mat i32) (param $nimg i32) (param $cout i32) (param $ch0 i32)
    (param $chans i32) (param $hw i32) (param $bias i32) (param $toMat i32)
    (local $o i32) (local $i i32) (local $p i32) (local $m i32) (local $end i32) (local $vend i32) (local $b v128)
    (local $relu i32) (local $r v128) (local $s f32)
    (local.set $relu (i32.eq (local.get $toMat) (i32.const 2)))
    (if (local.get $relu) (then (local.set $toMat (i32.const 0))))
    (block $done (loop $chan
      (br_if $done (i32.ge_u (local.get $o) (local.get $chans)))
      (local.set $b (v128.const i32x4 0 0 0 0))
      (if (local.get $bias)
        (then (local.set $b (v128.load32_splat
          (i32.add (local.get $bias) (i32.shl (i32.add (local.get $ch0) (local.get $o)) (i32.const 2)))))))
      (local.set $i (i32.const 0))
      (block $e (loop $img
        (br_if $e (i32.ge_u (local.get $i) (local.get $nimg)))
        (local.set $p (i32.add (local.get $nchw) (i32.shl (i32.mul (i32.add (i32.mul (local.get $i) (local.get $cout))
          (i32.add (local.get $ch0) (local.get $o))) (local.get $hw)) (i32.const 2))))
        (local.set $m (i32.add (local.get $mat) (i32.shl (i32.mul (i32.add (i32.mul (local.get $o) (local.get $nimg))
          (local.get $i)) (local.get $hw)) (i32.const 2))))
        (local.set $end (i32.add (local.get $m) (i32.shl (local.get $hw) (i32.const 2))))
        (local.set $vend (i32.add (local.get $m) (i32.shl (i32.and (local.get $hw) (i32.const -4)) (i32.const 2))))
        (if (local.get $toMat)
          (then
            (block $ve (loop $v
              (br_if $ve (i32.ge_u (local.get $m) (local.get $vend)))
              (v128.store (local.get $m) (v128.load (local.get $p)))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $m (i32.add (local.get $m) (i32.const 16)))
              (br $v)))
            (block $se (loop $s
              (br_if $se (i32.ge_u (local.get $m) (local.get $end)))
              (f32.store (local.get $m) (f32.load (local.get $p)))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.set $m (i32.add (local.get $m) (i32.const 4)))
              (br $s))))
          (else
            (block $ve (loop $v
              (br_if $ve (i32.ge_u (local.get $m) (local.get $vend)))
              (local.set $r (f32x4.add (v128.load (local.get $m)) (local.get $b)))
              (if (local.get $relu) (then (local.set $r (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $r)))))
              (v128.store (local.get $p) (local.get $r))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $m (i32.add (local.get $m) (i32.const 16)))
              (br $v)))
            (block $se (loop $s
              (br_if $se (i32.ge_u (local.get $m) (local.get $end)))
              (local.set $s (f32.add (f32.load (local.get $m)) (f32x4.extract_lane 0 (local.get $b))))
              (if (local.get $relu) (then (local.set $s (select (local.get $s) (f32.const 0) (f32.gt (local.get $s) (f32.const 0))))))
              (f32.store (local.get $p) (local.get $s))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.set $m (i32.add (local.get $m) (i32.const 4)))
              (br $s)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $img)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $chan))))
)
