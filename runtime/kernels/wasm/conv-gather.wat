;; conv2d's data movement on the WebAssembly path (conv-gather.ts has the JS reference and the
;; tables): im2col as a gather from a padded input, its adjoint col2im, and the copies between
;; NCHW planes and the GEMM's [channels, images·pixels] matrices. In JS these loops cost more than
;; the GEMM itself on LeNet's layers (a typed-array bounds check and address recomputation per
;; element); here a run of a unit-stride row moves four floats per instruction.
;; Addresses are bytes; tables are i32 float offsets; counts are floats.
(module
  (import "env" "memory" (memory 0))

  ;; dst[0 .. n) = src[0 .. n·stride by stride] (add = 0), or dst[i] += src[i·stride] (add = 1)
  ;; with the roles of the two operands swapped (img is the strided one in both directions).
  (func $run (param $img i32) (param $mat i32) (param $n i32) (param $sw i32) (param $add i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $mat) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.eq (local.get $sw) (i32.const 1))
      (then
        (local.set $vend (i32.add (local.get $mat) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
        (if (local.get $add)
          (then
            (block $e (loop $v
              (br_if $e (i32.ge_u (local.get $mat) (local.get $vend)))
              (v128.store (local.get $img) (f32x4.add (v128.load (local.get $img)) (v128.load (local.get $mat))))
              (local.set $img (i32.add (local.get $img) (i32.const 16)))
              (local.set $mat (i32.add (local.get $mat) (i32.const 16)))
              (br $v))))
          (else
            (block $e (loop $v
              (br_if $e (i32.ge_u (local.get $mat) (local.get $vend)))
              (v128.store (local.get $mat) (v128.load (local.get $img)))
              (local.set $img (i32.add (local.get $img) (i32.const 16)))
              (local.set $mat (i32.add (local.get $mat) (i32.const 16)))
              (br $v)))))))
    (local.set $sw (i32.shl (local.get $sw) (i32.const 2)))
    (block $e (loop $s
      (br_if $e (i32.ge_u (local.get $mat) (local.get $end)))
      (if (local.get $add)
        (then (f32.store (local.get $img) (f32.add (f32.load (local.get $img)) (f32.load (local.get $mat)))))
        (else (f32.store (local.get $mat) (f32.load (local.get $img)))))
      (local.set $img (i32.add (local.get $img) (local.get $sw)))
      (local.set $mat (i32.add (local.get $mat) (i32.const 4)))
      (br $s))))

  ;; For each tap q and pixel row r: the ow pixels img[taps[q] + rows[r] + x·sw] ↔ mat[q·ld + r·ow + x].
  (func $walk (param $img i32) (param $taps i32) (param $ntaps i32) (param $rows i32) (param $nrows i32)
    (param $ow i32) (param $sw i32) (param $mat i32) (param $ld i32) (param $add i32)
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
          (local.get $o) (local.get $ow) (local.get $sw) (local.get $add))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $ow) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $tap))))

  ;; im2col: mat[q·ld + j] = img[taps[q] + pixel j].
  (func (export "gather") (param $img i32) (param $taps i32) (param $ntaps i32) (param $rows i32) (param $nrows i32)
    (param $ow i32) (param $sw i32) (param $mat i32) (param $ld i32)
    (call $walk (local.get $img) (local.get $taps) (local.get $ntaps) (local.get $rows) (local.get $nrows)
      (local.get $ow) (local.get $sw) (local.get $mat) (local.get $ld) (i32.const 0)))

  ;; col2im: img[taps[q] + pixel j] += mat[q·ld + j].
  (func (export "scatter_add") (param $img i32) (param $taps i32) (param $ntaps i32) (param $rows i32) (param $nrows i32)
    (param $ow i32) (param $sw i32) (param $mat i32) (param $ld i32)
    (call $walk (local.get $img) (local.get $taps) (local.get $ntaps) (local.get $rows) (local.get $nrows)
      (local.get $ow) (local.get $sw) (local.get $mat) (local.get $ld) (i32.const 1)))

  ;; Between a group's channels [ch0, ch0 + chans) of nimg NCHW images (cout channels of hw
  ;; pixels) and the matrix mat[o·nimg·hw + i·hw + t]. toMat = 1: planes → matrix; toMat = 0:
  ;; matrix → planes, adding bias[ch0 + o] (bias 0: none) to every pixel.
  (func (export "planes") (param $nchw i32) (param $mat i32) (param $nimg i32) (param $cout i32) (param $ch0 i32)
    (param $chans i32) (param $hw i32) (param $bias i32) (param $toMat i32)
    (local $o i32) (local $i i32) (local $p i32) (local $m i32) (local $end i32) (local $vend i32) (local $b v128)
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
              (v128.store (local.get $p) (f32x4.add (v128.load (local.get $m)) (local.get $b)))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $m (i32.add (local.get $m) (i32.const 16)))
              (br $v)))
            (block $se (loop $s
              (br_if $se (i32.ge_u (local.get $m) (local.get $end)))
              (f32.store (local.get $p) (f32.add (f32.load (local.get $m)) (f32x4.extract_lane 0 (local.get $b))))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.set $m (i32.add (local.get $m) (i32.const 4)))
              (br $s)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $img)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $chan))))
)
