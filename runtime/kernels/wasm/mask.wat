;; A dropout mask spanning every axis but the batch, applied to each of `rows` rows of n values:
;; y[r, i] = x[r, i]·mask[i], four floats an instruction. A float32 product rounded once is what
;; the JS loop's float64 product stored to a Float32Array gives, so the bits are the same.
;; Addresses are bytes; n need not be a multiple of 4 (a scalar tail).
(module
  (import "env" "memory" (memory 0))

  (func (export "mul_rows") (param $x i32) (param $mask i32) (param $y i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $i i32) (local $end i32) (local $n4 i32) (local $off i32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $i (i32.const 0))
      (block $done (loop $quad
        (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
        (v128.store (i32.add (local.get $y) (i32.add (local.get $off) (local.get $i)))
          (f32x4.mul (v128.load (i32.add (local.get $x) (i32.add (local.get $off) (local.get $i)))) (v128.load (i32.add (local.get $mask) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $quad)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (i32.add (local.get $y) (i32.add (local.get $off) (local.get $i)))
          (f32.mul (f32.load (i32.add (local.get $x) (i32.add (local.get $off) (local.get $i)))) (f32.load (i32.add (local.get $mask) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
      (local.set $off (i32.add (local.get $off) (local.get $end)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
)
