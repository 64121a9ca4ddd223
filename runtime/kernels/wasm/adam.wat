;; One Adam step in float32 SIMD, four parameters at a time (optim.ts has the rule and the
;; float64 JS reference): with g' = g + wd·w,
;;   m ← β1·m + (1 − β1)·g',  v ← β2·v + (1 − β2)·g'²,  w ← w − lr·(m / c1) / (√(v / c2) + eps),
;; then w ← min(max(w, lo), hi): BinaryConnect keeps binary layers' latent weights in [−1, 1], and
;; doing it here saves a JS pass over every weight (±∞ leaves other weights as they are).
;; In JS each parameter costs a bounds-checked load and store per array and two float64 divisions
;; and a square root one at a time; here one f32x4.div or sqrt serves four. n is a multiple of 4
;; (the caller pads).
(module
  (import "env" "memory" (memory 0))
  (func (export "adam") (param $w i32) (param $g i32) (param $m1 i32) (param $m2 i32) (param $n i32)
    (param $lr f32) (param $wd f32) (param $beta1 f32) (param $beta2 f32) (param $eps f32) (param $c1 f32) (param $c2 f32)
    (param $lo f32) (param $hi f32)
    (local $i i32) (local $end i32)
    (local $vwd v128) (local $vb1 v128) (local $va1 v128) (local $vb2 v128) (local $va2 v128)
    (local $vlr v128) (local $veps v128) (local $vc1 v128) (local $vc2 v128)
    (local $vlo v128) (local $vhi v128)
    (local $gi v128) (local $m v128) (local $v v128)
    (local.set $vwd (f32x4.splat (local.get $wd)))
    (local.set $vb1 (f32x4.splat (local.get $beta1)))
    (local.set $va1 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta1))))
    (local.set $vb2 (f32x4.splat (local.get $beta2)))
    (local.set $va2 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta2))))
    (local.set $vlr (f32x4.splat (f32.neg (local.get $lr))))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $gi (f32x4.add (v128.load (i32.add (local.get $g) (local.get $i)))
        (f32x4.mul (local.get $vwd) (v128.load (i32.add (local.get $w) (local.get $i))))))
      (local.set $m (f32x4.add (f32x4.mul (local.get $vb1) (v128.load (i32.add (local.get $m1) (local.get $i))))
        (f32x4.mul (local.get $va1) (local.get $gi))))
      (local.set $v (f32x4.add (f32x4.mul (local.get $vb2) (v128.load (i32.add (local.get $m2) (local.get $i))))
        (f32x4.mul (f32x4.mul (local.get $va2) (local.get $gi)) (local.get $gi))))
      (v128.store (i32.add (local.get $m1) (local.get $i)) (local.get $m))
      (v128.store (i32.add (local.get $m2) (local.get $i)) (local.get $v))
      ;; min and max propagate NaN, as JavaScript's Math.min and Math.max do.
      (v128.store (i32.add (local.get $w) (local.get $i))
        (f32x4.min (local.get $vhi) (f32x4.max (local.get $vlo)
          (f32x4.add (v128.load (i32.add (local.get $w) (local.get $i)))
            (f32x4.div (f32x4.mul (local.get $vlr) (f32x4.div (local.get $m) (local.get $vc1)))
              (f32x4.add (f32x4.sqrt (f32x4.div (local.get $v) (local.get $vc2))) (local.get $veps)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $step))))
)
