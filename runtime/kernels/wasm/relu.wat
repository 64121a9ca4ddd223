;; ReLU forward and backward, four floats per instruction. In JS both are a branch per element on
;; the sign of an activation, which mispredicts about half the time on a conv layer's outputs;
;; here they are selects. Same results bit for bit as the JS loops (activations.ts relu,
;; autodiff's reluBack): f32x4.pmax(0, x) is `0 < x ? x : 0` lane by lane (NaN and −0 give +0),
;; and the backward pass keeps dy's bits where x > 0 and writes +0 elsewhere.
;; Addresses are bytes; n is a multiple of 4 (the caller pads).
(module
  (import "env" "memory" (memory 0))

  (func (export "relu") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $v
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $y) (f32x4.pmax (v128.const i32x4 0 0 0 0) (v128.load (local.get $x))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $v))))

  ;; dx = x > 0 ? dy : +0, written over dy.
  (func (export "relu_backward") (param $x i32) (param $dy i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $v
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $dy) (v128.and (v128.load (local.get $dy))
        (f32x4.gt (v128.load (local.get $x)) (v128.const i32x4 0 0 0 0))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (br $v))))
)
