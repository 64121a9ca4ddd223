;; A grid input's integers (kernels/bitplane.ts gridInteger, kernels/grid-gemm.ts gridIntegers): every
;; value v of x is q/d for a whole 0 ≤ q < limit, or the batch is off the grid. q is written as a
;; float32 where the integer fp32 GEMM reads it in place. In JavaScript this per-batch pass was a
;; tenth of the lowered binary_mlp's inference once its compares had moved here.
;; JavaScript rounds v·d half up (Math.round), this ties to even (f64.nearest): the two differ only
;; at v·d = q + ½, where neither q nor q + 1 passes the check below while q < 2^23 (|q/d − v| = ½/d
;; is more than half a float32 ulp of v there), so both accept the same values with the same q.
(module
  (import "env" "memory" (memory 0))

  ;; q[i] = v·d rounded, for the n float32 values at x, into the n float32 at q; returns 1, or 0 at
  ;; the first value off the grid (then q is partly written). 0 and −0 are q = 0.
  (func (export "grid_integers") (param $n i32) (param $x i32) (param $d f64) (param $limit f64) (param $q i32) (result i32)
    (local $end i32) (local $v f32) (local $r f64)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $values
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (f32.load (local.get $x)))
      (if (f32.eq (local.get $v) (f32.const 0))
        (then (f32.store (local.get $q) (f32.const 0)))
        (else
          (local.set $r (f64.nearest (f64.mul (f64.promote_f32 (local.get $v)) (local.get $d))))
          ;; NaN fails both range compares and the equality.
          (if (i32.eqz (i32.and (f64.ge (local.get $r) (f64.const 0)) (f64.lt (local.get $r) (local.get $limit))))
            (then (return (i32.const 0))))
          (if (f32.ne (f32.demote_f64 (f64.div (local.get $r) (local.get $d))) (local.get $v))
            (then (return (i32.const 0))))
          (f32.store (local.get $q) (f32.demote_f64 (local.get $r)))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (br $values)))
    (i32.const 1))
)
