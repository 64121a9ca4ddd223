;; Binarization to ±1 and its clipped straight-through estimator, four floats per instruction. In
;; JS each is a branch per element on a sign that is random for latent weights and batch-normed
;; activations, so it mispredicts about half the time (10 ns a value on binary_mlp's weights);
;; here they are selects. Same results bit for bit as the JS loops in activations.ts:
;;   binarize   y = x ≥ 0 ? +1 : −1 (−0 gives +1, NaN −1), and returns 1 when every |x| ≤ 1 (the
;;              estimator's window; NaN is outside), which lets a caller skip the backward pass;
;;   sign_ste   dx = dy·(|x| ≤ c ? 1 : 0), written over dy (dy·0 keeps −0 and NaN, as JS's does).
;; Addresses are bytes; n is a multiple of 4 (the caller pads with zeros, which are inside).
(module
  (import "env" "memory" (memory 0))

  (func (export "binarize") (param $x i32) (param $y i32) (param $n i32) (result i32)
    (local $end i32) (local $v v128) (local $inside v128)
    (local.set $inside (v128.const i32x4 -1 -1 -1 -1))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $y) (v128.bitselect (v128.const f32x4 1 1 1 1) (v128.const f32x4 -1 -1 -1 -1)
        (f32x4.ge (local.get $v) (v128.const i32x4 0 0 0 0))))
      (local.set $inside (v128.and (local.get $inside)
        (f32x4.le (f32x4.abs (local.get $v)) (v128.const f32x4 1 1 1 1))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $step)))
    (i32x4.all_true (local.get $inside)))

  (func (export "sign_ste") (param $x i32) (param $dy i32) (param $n i32) (param $c f32)
    (local $end i32) (local $vc v128)
    (local.set $vc (f32x4.splat (local.get $c)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $dy) (f32x4.mul (v128.load (local.get $dy))
        (v128.bitselect (v128.const f32x4 1 1 1 1) (v128.const i32x4 0 0 0 0)
          (f32x4.le (f32x4.abs (v128.load (local.get $x))) (local.get $vc)))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (br $step))))
)
