;; One time step of LIF neurons for training with time folded into the batch (lif-fused.ts's
;; lifStepForward and lifStepBackward with the fast-sigmoid surrogate), two neurons per
;; instruction. The JS loops ran at about 10 ns a neuron on this machine (a branch on every
;; spike, float32 <-> float64 conversions one value at a time); these are selects on f64x2.
;; The arithmetic is float64, rounded to float32 only where the JS loops store, so the results
;; are the JS kernels' bit for bit.
;; Addresses are bytes; n is even (the caller pads). Flags: $zero = reset to zero (else by
;; subtraction), $detach = no gradient through the reset, $add = add to dx instead of writing it.
(module
  (import "env" "memory" (memory 0))

  ;; u = decay·v + x; out = u ≥ θ; v ← u(1 − out) or u − θ·out; u and out stored.
  (func (export "lif_forward")
    (param $x i32) (param $v i32) (param $u i32) (param $out i32) (param $n i32)
    (param $decay f64) (param $th f64) (param $zero i32)
    (local $end i32) (local $d v128) (local $t v128) (local $zm v128)
    (local $uv v128) (local $m v128) (local $s v128)
    (local.set $d (f64x2.splat (local.get $decay)))
    (local.set $t (f64x2.splat (local.get $th)))
    (local.set $zm (i64x2.splat (i64.extend_i32_s (i32.sub (i32.const 0) (local.get $zero)))))
    (local.set $end (i32.add (local.get $v) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $v) (local.get $end)))
      (local.set $uv (f64x2.add
        (f64x2.mul (local.get $d) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
        (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x)))))
      (local.set $m (f64x2.ge (local.get $uv) (local.get $t)))
      (local.set $s (v128.and (local.get $m) (v128.const f64x2 1 1)))
      (v128.store64_lane 0 (local.get $u) (f32x4.demote_f64x2_zero (local.get $uv)))
      (v128.store64_lane 0 (local.get $out) (f32x4.demote_f64x2_zero (local.get $s)))
      (v128.store64_lane 0 (local.get $v) (f32x4.demote_f64x2_zero (v128.bitselect
        (f64x2.mul (local.get $uv) (f64x2.sub (v128.const f64x2 1 1) (local.get $s)))
        (f64x2.sub (local.get $uv) (v128.and (local.get $m) (local.get $t)))
        (local.get $zm))))
      (local.set $x (i32.add (local.get $x) (i32.const 8)))
      (local.set $v (i32.add (local.get $v) (i32.const 8)))
      (local.set $u (i32.add (local.get $u) (i32.const 8)))
      (local.set $out (i32.add (local.get $out) (i32.const 8)))
      (br $next))))

  ;; BPTT through one step. carry holds dL/dv after this step and receives dL/dv before it.
  ;;   gs = dy + carry·∂v/∂s,  gu = carry·∂v/∂u + gs·σ'(u − θ),  σ'(z) = 1/(1 + α|z|)²
  ;;   dx = gu (or dx + gu),  carry = decay·gu
  (func (export "lif_backward")
    (param $u i32) (param $out i32) (param $dy i32) (param $carry i32) (param $dx i32) (param $n i32)
    (param $decay f64) (param $th f64) (param $alpha f64) (param $zero i32) (param $detach i32) (param $add i32)
    (local $end i32) (local $d v128) (local $t v128) (local $a v128) (local $zm v128) (local $keep v128) (local $am v128)
    (local $uv v128) (local $s v128) (local $gv v128) (local $gs v128) (local $q v128) (local $gu v128)
    (local.set $d (f64x2.splat (local.get $decay)))
    (local.set $t (f64x2.splat (local.get $th)))
    (local.set $a (f64x2.splat (local.get $alpha)))
    (local.set $zm (i64x2.splat (i64.extend_i32_s (i32.sub (i32.const 0) (local.get $zero)))))
    (local.set $keep (i64x2.splat (i64.extend_i32_s (i32.sub (local.get $detach) (i32.const 1)))))
    (local.set $am (i64x2.splat (i64.extend_i32_s (i32.sub (i32.const 0) (local.get $add)))))
    (local.set $end (i32.add (local.get $u) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $u) (local.get $end)))
      (local.set $uv (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $u))))
      (local.set $s (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $out))))
      (local.set $gv (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $carry))))
      ;; ∂v/∂s: −u (reset to zero) or −θ (subtraction), 0 when detached.
      (local.set $gs (f64x2.add
        (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $dy)))
        (f64x2.mul (local.get $gv)
          (v128.and (local.get $keep) (v128.bitselect (f64x2.neg (local.get $uv)) (f64x2.neg (local.get $t)) (local.get $zm))))))
      (local.set $q (f64x2.add (v128.const f64x2 1 1)
        (f64x2.mul (local.get $a) (f64x2.abs (f64x2.sub (local.get $uv) (local.get $t))))))
      ;; ∂v/∂u: 1 − s (reset to zero) or 1.
      (local.set $gu (f64x2.add
        (f64x2.mul (local.get $gv)
          (v128.bitselect (f64x2.sub (v128.const f64x2 1 1) (local.get $s)) (v128.const f64x2 1 1) (local.get $zm)))
        (f64x2.mul (local.get $gs) (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $q) (local.get $q))))))
      (v128.store64_lane 0 (local.get $dx) (f32x4.demote_f64x2_zero (v128.bitselect
        (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $dx))) (local.get $gu))
        (local.get $gu)
        (local.get $am))))
      (v128.store64_lane 0 (local.get $carry) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $d) (local.get $gu))))
      (local.set $u (i32.add (local.get $u) (i32.const 8)))
      (local.set $out (i32.add (local.get $out) (i32.const 8)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 8)))
      (local.set $carry (i32.add (local.get $carry) (i32.const 8)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 8)))
      (br $next))))
;; A layer reset by subtraction whose spikes go only to a 2×2 max pool at stride 2 (time-fold.ts's
  ;; lif → maxpool2d): the pool of 0/1 spikes is whether any of the four fired, and its argmax the
  ;; first that did, in pool.ts's order (top left, top right, bottom left, bottom right; the top
  ;; left when none did). All `steps` steps of one window run before the next window: its four
  ;; membranes stay in registers, so neither they nor the layer's spikes ever go to memory (a
  ;; step at a time, the membrane of the first layer, 0.9 MB, went out and back in every step).
  ;; The arithmetic and its rounding to float32 are lif_forward's, step by step. Written out
  ;; rather than called: Node 20's V8 does not inline WebAssembly calls, and helper calls here
  ;; took 2.5× the time of the whole kernel written out.
  ;; Planes of h×w (both even), `planes` of them a step; the steps' x lie $xstep bytes apart (0:
  ;; the same x every step); the pooled spikes are [steps, planes, h/2, w/2].
  (func (export "lif_pool_forward")
    (param $x i32) (param $xstep i32) (param $pooled i32) (param $planes i32) (param $h i32) (param $w i32) (param $steps i32)
    (param $decay f64) (param $th f64)
    (local $d v128) (local $t v128) (local $row i32) (local $rows i32) (local $o i32) (local $end i32) (local $below i32)
    (local $qstep i32) (local $vt v128) (local $vb v128) (local $ut v128) (local $ub v128) (local $step i32) (local $xa i32) (local $pa i32)
    (local $vt2 v128) (local $vb2 v128) (local $ut2 v128) (local $ub2 v128)
    (local.set $d (f64x2.splat (local.get $decay)))
    (local.set $t (f64x2.splat (local.get $th)))
    (local.set $below (i32.shl (local.get $w) (i32.const 2)))
    (local.set $rows (i32.mul (local.get $planes) (i32.shr_u (local.get $h) (i32.const 1))))
    (local.set $qstep (i32.mul (local.get $planes) (i32.mul (local.get $h) (local.get $w))))
    (block $done (loop $pairOfRows
      (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $o (i32.mul (local.get $row) (i32.shl (local.get $below) (i32.const 1))))
      (local.set $end (i32.add (local.get $o) (local.get $below)))
      ;; Two windows side by side while the row has them: each window is a chain of dependent
      ;; steps, and two chains keep the vector units busier than one.
      (block $pairsDone (loop $windowPair
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $end)))
        (local.set $vt (v128.const f64x2 0 0))
        (local.set $vt2 (v128.const f64x2 0 0))
        (local.set $vb (v128.const f64x2 0 0))
        (local.set $vb2 (v128.const f64x2 0 0))
        (local.set $xa (i32.add (local.get $x) (local.get $o)))
        (local.set $pa (local.get $pooled))
        (local.set $step (i32.const 0))
        (block $pairStepsDone (loop $pairStep
          (br_if $pairStepsDone (i32.ge_u (local.get $step) (local.get $steps)))
          (local.set $ut (f64x2.add (f64x2.mul (local.get $d) (local.get $vt)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $xa)))))
          (local.set $ut2 (f64x2.add (f64x2.mul (local.get $d) (local.get $vt2)) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $xa)))))
          (local.set $ub (f64x2.add (f64x2.mul (local.get $d) (local.get $vb)) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $xa) (local.get $below))))))
          (local.set $ub2 (f64x2.add (f64x2.mul (local.get $d) (local.get $vb2)) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $xa) (local.get $below))))))
          (f32.store (local.get $pa) (select (f32.const 1) (f32.const 0)
            (v128.any_true (v128.or (f64x2.ge (local.get $ut) (local.get $t)) (f64x2.ge (local.get $ub) (local.get $t))))))
          (f32.store offset=4 (local.get $pa) (select (f32.const 1) (f32.const 0)
            (v128.any_true (v128.or (f64x2.ge (local.get $ut2) (local.get $t)) (f64x2.ge (local.get $ub2) (local.get $t))))))
          (local.set $vt (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ut) (v128.and (f64x2.ge (local.get $ut) (local.get $t)) (local.get $t))))))
          (local.set $vt2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ut2) (v128.and (f64x2.ge (local.get $ut2) (local.get $t)) (local.get $t))))))
          (local.set $vb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ub) (v128.and (f64x2.ge (local.get $ub) (local.get $t)) (local.get $t))))))
          (local.set $vb2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ub2) (v128.and (f64x2.ge (local.get $ub2) (local.get $t)) (local.get $t))))))
          (local.set $xa (i32.add (local.get $xa) (local.get $xstep)))
          (local.set $pa (i32.add (local.get $pa) (local.get $qstep)))
          (local.set $step (i32.add (local.get $step) (i32.const 1)))
          (br $pairStep)))
        (local.set $pooled (i32.add (local.get $pooled) (i32.const 8)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $windowPair)))
      (block $rowDone (loop $window
        (br_if $rowDone (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $vt (v128.const f64x2 0 0))
        (local.set $vb (v128.const f64x2 0 0))
        (local.set $xa (i32.add (local.get $x) (local.get $o)))
        (local.set $pa (local.get $pooled))
        (local.set $step (i32.const 0))
        (block $stepsDone (loop $step
          (br_if $stepsDone (i32.ge_u (local.get $step) (local.get $steps)))
          (local.set $ut (f64x2.add (f64x2.mul (local.get $d) (local.get $vt)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $xa)))))
          (local.set $ub (f64x2.add (f64x2.mul (local.get $d) (local.get $vb)) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $xa) (local.get $below))))))
          (f32.store (local.get $pa) (select (f32.const 1) (f32.const 0)
            (v128.any_true (v128.or (f64x2.ge (local.get $ut) (local.get $t)) (f64x2.ge (local.get $ub) (local.get $t))))))
          (local.set $vt (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ut) (v128.and (f64x2.ge (local.get $ut) (local.get $t)) (local.get $t))))))
          (local.set $vb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ub) (v128.and (f64x2.ge (local.get $ub) (local.get $t)) (local.get $t))))))
          (local.set $xa (i32.add (local.get $xa) (local.get $xstep)))
          (local.set $pa (i32.add (local.get $pa) (local.get $qstep)))
          (local.set $step (i32.add (local.get $step) (i32.const 1)))
          (br $step)))
        (local.set $pooled (i32.add (local.get $pooled) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $window)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $pairOfRows))))

  ;; BPTT of lif_pool_forward from the pooled output's gradient ([steps, planes, h/2, w/2]), one
  ;; window at a time: its steps run forward again with u (rounded as stored) and the pool's
  ;; choice noted in $tmp (17 bytes a step), then backward, the chosen neuron of each step
  ;; receiving that step's gradient (as pool.ts's backward routes it), the other three none, with
  ;; lif_backward's arithmetic for a reset by subtraction (∂v/∂u = 1, ∂v/∂s = −θ or 0). dx is laid
  ;; out as x; with $xstep 0 the steps' gradients are summed into one dx, rounded as each is added.
  (func (export "lif_pool_backward")
    (param $x i32) (param $xstep i32) (param $dpooled i32) (param $dx i32) (param $tmp i32)
    (param $planes i32) (param $h i32) (param $w i32) (param $steps i32)
    (param $decay f64) (param $th f64) (param $alpha f64) (param $detach i32)
    (local $row i32) (local $rows i32) (local $o i32) (local $end i32) (local $below i32) (local $qstep i32)
    (local $d v128) (local $t v128) (local $a v128) (local $dvds v128) (local $am v128)
    (local $vt v128) (local $vb v128) (local $ct v128) (local $cb v128) (local $acct v128) (local $accb v128)
    (local $ut v128) (local $ub v128) (local $gt v128) (local $gb v128) (local $q v128)
    (local $step i32) (local $xa i32) (local $ta i32) (local $bits i32) (local $c v128) (local $g v128)
    (local $off2 i32) (local $vt2 v128) (local $vb2 v128) (local $ct2 v128) (local $cb2 v128) (local $acct2 v128) (local $accb2 v128)
    (local $ut2 v128) (local $ub2 v128) (local $gt2 v128) (local $gb2 v128) (local $q2 v128) (local $bits2 i32) (local $c2 v128) (local $g2 v128)
    (local.set $d (f64x2.splat (local.get $decay)))
    (local.set $t (f64x2.splat (local.get $th)))
    (local.set $a (f64x2.splat (local.get $alpha)))
    (local.set $dvds (v128.and (i64x2.splat (i64.extend_i32_s (i32.sub (local.get $detach) (i32.const 1)))) (f64x2.neg (local.get $t))))
    (local.set $am (i64x2.splat (i64.extend_i32_s (i32.sub (i32.const 0) (i32.eqz (local.get $xstep))))))
    (local.set $off2 (i32.mul (local.get $steps) (i32.const 17)))
    (local.set $below (i32.shl (local.get $w) (i32.const 2)))
    (local.set $rows (i32.mul (local.get $planes) (i32.shr_u (local.get $h) (i32.const 1))))
    (local.set $qstep (i32.mul (local.get $planes) (i32.mul (local.get $h) (local.get $w))))
    (block $done (loop $pairOfRows
      (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $o (i32.mul (local.get $row) (i32.shl (local.get $below) (i32.const 1))))
      (local.set $end (i32.add (local.get $o) (local.get $below)))
      ;; Two windows side by side while the row has them (as in lif_pool_forward), the second
      ;; one's u and choices $off2 = 17·steps bytes after the first's in $tmp.
      (block $pairsDone (loop $windowPair
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $end)))
        ;; Forward: u of the top and bottom pairs at $tmp + 16·step, the choice at $tmp + 16·steps + step.
        (local.set $vt (v128.const f64x2 0 0))
        (local.set $vt2 (v128.const f64x2 0 0))
        (local.set $vb (v128.const f64x2 0 0))
        (local.set $vb2 (v128.const f64x2 0 0))
        (local.set $xa (i32.add (local.get $x) (local.get $o)))
        (local.set $ta (local.get $tmp))
        (local.set $step (i32.const 0))
        (block $pairFwdDone (loop $pairFwd
          (br_if $pairFwdDone (i32.ge_u (local.get $step) (local.get $steps)))
          (local.set $ut (f64x2.add (f64x2.mul (local.get $d) (local.get $vt)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $xa)))))
          (local.set $ut2 (f64x2.add (f64x2.mul (local.get $d) (local.get $vt2)) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $xa)))))
          (local.set $ub (f64x2.add (f64x2.mul (local.get $d) (local.get $vb)) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $xa) (local.get $below))))))
          (local.set $ub2 (f64x2.add (f64x2.mul (local.get $d) (local.get $vb2)) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $xa) (local.get $below))))))
          (local.set $bits (i32.or (i64x2.bitmask (f64x2.ge (local.get $ut) (local.get $t)))
            (i32.shl (i64x2.bitmask (f64x2.ge (local.get $ub) (local.get $t))) (i32.const 2))))
          (local.set $bits2 (i32.or (i64x2.bitmask (f64x2.ge (local.get $ut2) (local.get $t)))
            (i32.shl (i64x2.bitmask (f64x2.ge (local.get $ub2) (local.get $t))) (i32.const 2))))
          (i32.store8 (i32.add (local.get $tmp) (i32.add (i32.shl (local.get $steps) (i32.const 4)) (local.get $step)))
            (i32.and (i32.ctz (i32.or (local.get $bits) (i32.const 16))) (i32.const 3)))
          (i32.store8 (i32.add (i32.add (local.get $tmp) (local.get $off2)) (i32.add (i32.shl (local.get $steps) (i32.const 4)) (local.get $step)))
            (i32.and (i32.ctz (i32.or (local.get $bits2) (i32.const 16))) (i32.const 3)))
          (v128.store64_lane 0 (local.get $ta) (f32x4.demote_f64x2_zero (local.get $ut)))
          (v128.store64_lane 0 (i32.add (local.get $ta) (local.get $off2)) (f32x4.demote_f64x2_zero (local.get $ut2)))
          (v128.store64_lane 0 (i32.add (local.get $ta) (i32.const 8)) (f32x4.demote_f64x2_zero (local.get $ub)))
          (v128.store64_lane 0 (i32.add (i32.add (local.get $ta) (local.get $off2)) (i32.const 8)) (f32x4.demote_f64x2_zero (local.get $ub2)))
          (local.set $vt (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ut) (v128.and (f64x2.ge (local.get $ut) (local.get $t)) (local.get $t))))))
          (local.set $vt2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ut2) (v128.and (f64x2.ge (local.get $ut2) (local.get $t)) (local.get $t))))))
          (local.set $vb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ub) (v128.and (f64x2.ge (local.get $ub) (local.get $t)) (local.get $t))))))
          (local.set $vb2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ub2) (v128.and (f64x2.ge (local.get $ub2) (local.get $t)) (local.get $t))))))
          (local.set $xa (i32.add (local.get $xa) (local.get $xstep)))
          (local.set $ta (i32.add (local.get $ta) (i32.const 16)))
          (local.set $step (i32.add (local.get $step) (i32.const 1)))
          (br $pairFwd)))
        ;; Backward, last step first.
        (local.set $ct (v128.const f64x2 0 0))
        (local.set $ct2 (v128.const f64x2 0 0))
        (local.set $cb (v128.const f64x2 0 0))
        (local.set $cb2 (v128.const f64x2 0 0))
        (local.set $acct (v128.const f64x2 0 0))
        (local.set $acct2 (v128.const f64x2 0 0))
        (local.set $accb (v128.const f64x2 0 0))
        (local.set $accb2 (v128.const f64x2 0 0))
        (block $pairBwdDone (loop $pairBwd
          (br_if $pairBwdDone (i32.eqz (local.get $step)))
          (local.set $step (i32.sub (local.get $step) (i32.const 1)))
          (local.set $xa (i32.sub (local.get $xa) (local.get $xstep)))
          (local.set $ta (i32.sub (local.get $ta) (i32.const 16)))
          (local.set $c (i64x2.splat (i64.load8_u (i32.add (local.get $tmp) (i32.add (i32.shl (local.get $steps) (i32.const 4)) (local.get $step))))))
          (local.set $c2 (i64x2.splat (i64.load8_u (i32.add (i32.add (local.get $tmp) (local.get $off2)) (i32.add (i32.shl (local.get $steps) (i32.const 4)) (local.get $step))))))
          (local.set $g (f64x2.splat (f64.promote_f32 (f32.load
            (i32.add (local.get $dpooled) (i32.mul (local.get $step) (local.get $qstep)))))))
          (local.set $g2 (f64x2.splat (f64.promote_f32 (f32.load offset=4
            (i32.add (local.get $dpooled) (i32.mul (local.get $step) (local.get $qstep)))))))
          (local.set $q (f64x2.add (v128.const f64x2 1 1)
            (f64x2.mul (local.get $a) (f64x2.abs (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $ta))) (local.get $t))))))
          (local.set $q2 (f64x2.add (v128.const f64x2 1 1)
            (f64x2.mul (local.get $a) (f64x2.abs (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $ta) (local.get $off2)))) (local.get $t))))))
          (local.set $gt (f64x2.add
            (f64x2.mul (local.get $ct) (v128.const f64x2 1 1))
            (f64x2.mul (f64x2.add (v128.and (i64x2.eq (local.get $c) (v128.const i64x2 0 1)) (local.get $g)) (f64x2.mul (local.get $ct) (local.get $dvds)))
              (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $q) (local.get $q))))))
          (local.set $gt2 (f64x2.add
            (f64x2.mul (local.get $ct2) (v128.const f64x2 1 1))
            (f64x2.mul (f64x2.add (v128.and (i64x2.eq (local.get $c2) (v128.const i64x2 0 1)) (local.get $g2)) (f64x2.mul (local.get $ct2) (local.get $dvds)))
              (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $q2) (local.get $q2))))))
          (local.set $q (f64x2.add (v128.const f64x2 1 1)
            (f64x2.mul (local.get $a) (f64x2.abs (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $ta) (i32.const 8)))) (local.get $t))))))
          (local.set $q2 (f64x2.add (v128.const f64x2 1 1)
            (f64x2.mul (local.get $a) (f64x2.abs (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (i32.add (local.get $ta) (local.get $off2)) (i32.const 8)))) (local.get $t))))))
          (local.set $gb (f64x2.add
            (f64x2.mul (local.get $cb) (v128.const f64x2 1 1))
            (f64x2.mul (f64x2.add (v128.and (i64x2.eq (local.get $c) (v128.const i64x2 2 3)) (local.get $g)) (f64x2.mul (local.get $cb) (local.get $dvds)))
              (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $q) (local.get $q))))))
          (local.set $gb2 (f64x2.add
            (f64x2.mul (local.get $cb2) (v128.const f64x2 1 1))
            (f64x2.mul (f64x2.add (v128.and (i64x2.eq (local.get $c2) (v128.const i64x2 2 3)) (local.get $g2)) (f64x2.mul (local.get $cb2) (local.get $dvds)))
              (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $q2) (local.get $q2))))))
          (local.set $acct (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (v128.bitselect (f64x2.add (local.get $acct) (local.get $gt)) (local.get $gt) (local.get $am)))))
          (local.set $acct2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (v128.bitselect (f64x2.add (local.get $acct2) (local.get $gt2)) (local.get $gt2) (local.get $am)))))
          (local.set $accb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (v128.bitselect (f64x2.add (local.get $accb) (local.get $gb)) (local.get $gb) (local.get $am)))))
          (local.set $accb2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (v128.bitselect (f64x2.add (local.get $accb2) (local.get $gb2)) (local.get $gb2) (local.get $am)))))
          (local.set $ct (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul (local.get $d) (local.get $gt)))))
          (local.set $ct2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul (local.get $d) (local.get $gt2)))))
          (local.set $cb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul (local.get $d) (local.get $gb)))))
          (local.set $cb2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul (local.get $d) (local.get $gb2)))))
          (v128.store64_lane 0 (i32.add (local.get $dx) (i32.sub (local.get $xa) (local.get $x))) (f32x4.demote_f64x2_zero (local.get $acct)))
          (v128.store64_lane offset=8 0 (i32.add (local.get $dx) (i32.sub (local.get $xa) (local.get $x))) (f32x4.demote_f64x2_zero (local.get $acct2)))
          (v128.store64_lane 0 (i32.add (local.get $dx) (i32.add (i32.sub (local.get $xa) (local.get $x)) (local.get $below)))
            (f32x4.demote_f64x2_zero (local.get $accb)))
          (v128.store64_lane offset=8 0 (i32.add (local.get $dx) (i32.add (i32.sub (local.get $xa) (local.get $x)) (local.get $below)))
            (f32x4.demote_f64x2_zero (local.get $accb2)))
          (br $pairBwd)))
        (local.set $dpooled (i32.add (local.get $dpooled) (i32.const 8)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $windowPair)))
      (block $rowDone (loop $window
        (br_if $rowDone (i32.ge_u (local.get $o) (local.get $end)))
        ;; Forward: u of the top and bottom pairs at $tmp + 16·step, the choice at $tmp + 16·steps + step.
        (local.set $vt (v128.const f64x2 0 0))
        (local.set $vb (v128.const f64x2 0 0))
        (local.set $xa (i32.add (local.get $x) (local.get $o)))
        (local.set $ta (local.get $tmp))
        (local.set $step (i32.const 0))
        (block $fwdDone (loop $fwd
          (br_if $fwdDone (i32.ge_u (local.get $step) (local.get $steps)))
          (local.set $ut (f64x2.add (f64x2.mul (local.get $d) (local.get $vt)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $xa)))))
          (local.set $ub (f64x2.add (f64x2.mul (local.get $d) (local.get $vb)) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $xa) (local.get $below))))))
          (local.set $bits (i32.or (i64x2.bitmask (f64x2.ge (local.get $ut) (local.get $t)))
            (i32.shl (i64x2.bitmask (f64x2.ge (local.get $ub) (local.get $t))) (i32.const 2))))
          (i32.store8 (i32.add (local.get $tmp) (i32.add (i32.shl (local.get $steps) (i32.const 4)) (local.get $step)))
            (i32.and (i32.ctz (i32.or (local.get $bits) (i32.const 16))) (i32.const 3)))
          (v128.store64_lane 0 (local.get $ta) (f32x4.demote_f64x2_zero (local.get $ut)))
          (v128.store64_lane 0 (i32.add (local.get $ta) (i32.const 8)) (f32x4.demote_f64x2_zero (local.get $ub)))
          (local.set $vt (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ut) (v128.and (f64x2.ge (local.get $ut) (local.get $t)) (local.get $t))))))
          (local.set $vb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $ub) (v128.and (f64x2.ge (local.get $ub) (local.get $t)) (local.get $t))))))
          (local.set $xa (i32.add (local.get $xa) (local.get $xstep)))
          (local.set $ta (i32.add (local.get $ta) (i32.const 16)))
          (local.set $step (i32.add (local.get $step) (i32.const 1)))
          (br $fwd)))
        ;; Backward, last step first.
        (local.set $ct (v128.const f64x2 0 0))
        (local.set $cb (v128.const f64x2 0 0))
        (local.set $acct (v128.const f64x2 0 0))
        (local.set $accb (v128.const f64x2 0 0))
        (block $bwdDone (loop $bwd
          (br_if $bwdDone (i32.eqz (local.get $step)))
          (local.set $step (i32.sub (local.get $step) (i32.const 1)))
          (local.set $xa (i32.sub (local.get $xa) (local.get $xstep)))
          (local.set $ta (i32.sub (local.get $ta) (i32.const 16)))
          (local.set $c (i64x2.splat (i64.load8_u (i32.add (local.get $tmp) (i32.add (i32.shl (local.get $steps) (i32.const 4)) (local.get $step))))))
          (local.set $g (f64x2.splat (f64.promote_f32 (f32.load
            (i32.add (local.get $dpooled) (i32.mul (local.get $step) (local.get $qstep)))))))
          (local.set $q (f64x2.add (v128.const f64x2 1 1)
            (f64x2.mul (local.get $a) (f64x2.abs (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $ta))) (local.get $t))))))
          (local.set $gt (f64x2.add
            (f64x2.mul (local.get $ct) (v128.const f64x2 1 1))
            (f64x2.mul (f64x2.add (v128.and (i64x2.eq (local.get $c) (v128.const i64x2 0 1)) (local.get $g)) (f64x2.mul (local.get $ct) (local.get $dvds)))
              (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $q) (local.get $q))))))
          (local.set $q (f64x2.add (v128.const f64x2 1 1)
            (f64x2.mul (local.get $a) (f64x2.abs (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $ta) (i32.const 8)))) (local.get $t))))))
          (local.set $gb (f64x2.add
            (f64x2.mul (local.get $cb) (v128.const f64x2 1 1))
            (f64x2.mul (f64x2.add (v128.and (i64x2.eq (local.get $c) (v128.const i64x2 2 3)) (local.get $g)) (f64x2.mul (local.get $cb) (local.get $dvds)))
              (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $q) (local.get $q))))))
          (local.set $acct (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (v128.bitselect (f64x2.add (local.get $acct) (local.get $gt)) (local.get $gt) (local.get $am)))))
          (local.set $accb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (v128.bitselect (f64x2.add (local.get $accb) (local.get $gb)) (local.get $gb) (local.get $am)))))
          (local.set $ct (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul (local.get $d) (local.get $gt)))))
          (local.set $cb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul (local.get $d) (local.get $gb)))))
          (v128.store64_lane 0 (i32.add (local.get $dx) (i32.sub (local.get $xa) (local.get $x))) (f32x4.demote_f64x2_zero (local.get $acct)))
          (v128.store64_lane 0 (i32.add (local.get $dx) (i32.add (i32.sub (local.get $xa) (local.get $x)) (local.get $below)))
            (f32x4.demote_f64x2_zero (local.get $accb)))
          (br $bwd)))
        (local.set $dpooled (i32.add (local.get $dpooled) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $window)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $pairOfRows))))
)
