;; What a lowered integer layer does to its GEMM's int32 sums before handing them on, over the
;; sums where the GEMM left them (row-major, `n` a row, read and written in place): the bias added
;; with int32 saturation, alone or on the way to real values (requant.wat does it on the way to
;; int8 codes). In JavaScript these passes, with
;; the copies around them, took as long as the int8 GEMM itself.
(module
  (import "env" "memory" (memory 0))

  ;; c[i·n + j] = sat_int32(c[i·n + j] + bias[j]) for `rows` rows; returns how many sums end at
  ;; int32's bounds (the count gemmInt8's reference keeps: a sum at a bound is one that saturated).
  (func (export "add_bias") (param $rows i32) (param $n i32) (param $c i32) (param $bias i32) (result i32)
    (local $r i32) (local $j i32) (local $n4 i32) (local $a v128) (local $b v128) (local $s v128)
    (local $max v128) (local $min v128) (local $cnt v128) (local $x i64) (local $t i32) (local $k i32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $max (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $min (i32x4.splat (i32.const 0x80000000)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $e (loop $quads
        (br_if $e (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $a (v128.load (local.get $c)))
        (local.set $b (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $s (i32x4.add (local.get $a) (local.get $b)))
        ;; A wrapped sum has the sign neither addend has; it then saturates toward a's sign
        ;; ((a >> 31) ^ MAX is MAX for a ≥ 0, MIN for a < 0).
        (local.set $s (v128.bitselect
          (v128.xor (i32x4.shr_s (local.get $a) (i32.const 31)) (local.get $max))
          (local.get $s)
          (i32x4.shr_s (v128.and (v128.xor (local.get $s) (local.get $a)) (v128.xor (local.get $s) (local.get $b))) (i32.const 31))))
        ;; A comparison's lane is −1 where true: subtracting the masks counts.
        (local.set $cnt (i32x4.sub (local.get $cnt)
          (v128.or (i32x4.eq (local.get $s) (local.get $max)) (i32x4.eq (local.get $s) (local.get $min)))))
        (v128.store (local.get $c) (local.get $s))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
      (block $e (loop $tail
        (br_if $e (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $x (i64.add (i64.extend_i32_s (i32.load (local.get $c)))
          (i64.extend_i32_s (i32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))))
        (if (i64.gt_s (local.get $x) (i64.const 2147483647)) (then (local.set $x (i64.const 2147483647))))
        (if (i64.lt_s (local.get $x) (i64.const -2147483648)) (then (local.set $x (i64.const -2147483648))))
        (local.set $t (i32.wrap_i64 (local.get $x)))
        (if (i32.or (i32.eq (local.get $t) (i32.const 0x7fffffff)) (i32.eq (local.get $t) (i32.const 0x80000000)))
          (then (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (i32.store (local.get $c) (local.get $t))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowLoop)))
    (i32.add (local.get $k) (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $cnt)) (i32x4.extract_lane 1 (local.get $cnt)))
      (i32.add (i32x4.extract_lane 2 (local.get $cnt)) (i32x4.extract_lane 3 (local.get $cnt))))))

;; y[i·n + j] = f32((f64(a)·s)·col[j]), a = sat_int32(c[i·n + j] + bias[j]), for `rows` rows,
  ;; col holding n float64s: the two double multiplications in JavaScript's order, rounded once to
  ;; float32 as a Float32Array store rounds, so the values are the JS reference's bit for bit. y may
  ;; be c (each quad is read first). Returns add_bias's count; the bias is added here, not in a
  ;; pass of its own, as every pass over the sums costs about as much as this one.
  (func (export "scale") (param $rows i32) (param $n i32) (param $c i32) (param $bias i32) (param $s f64) (param $col i32) (param $y i32) (result i32)
    (local $r i32) (local $j i32) (local $n4 i32) (local $a v128) (local $lo v128) (local $hi v128) (local $sv v128) (local $cp i32)
    (local $b v128) (local $x v128) (local $max v128) (local $min v128) (local $cnt v128) (local $xs i64) (local $k i32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $max (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $min (i32x4.splat (i32.const 0x80000000)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (local.set $cp (local.get $col))
      (block $e (loop $quads
        (br_if $e (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $a (v128.load (local.get $c)))
        (local.set $b (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $x (i32x4.add (local.get $a) (local.get $b)))
        ;; add_bias's saturating add and count.
        (local.set $a (v128.bitselect
          (v128.xor (i32x4.shr_s (local.get $a) (i32.const 31)) (local.get $max))
          (local.get $x)
          (i32x4.shr_s (v128.and (v128.xor (local.get $x) (local.get $a)) (v128.xor (local.get $x) (local.get $b))) (i32.const 31))))
        (local.set $cnt (i32x4.sub (local.get $cnt)
          (v128.or (i32x4.eq (local.get $a) (local.get $max)) (i32x4.eq (local.get $a) (local.get $min)))))
        (local.set $lo (f64x2.mul (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $a)) (local.get $sv)) (v128.load (local.get $cp))))
        (local.set $hi (f64x2.mul (f64x2.mul (f64x2.convert_low_i32x4_s
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))) (local.get $sv))
          (v128.load offset=16 (local.get $cp))))
        (v128.store (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $cp (i32.add (local.get $cp) (i32.const 32)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
      (block $e (loop $tail
        (br_if $e (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $xs (i64.add (i64.extend_i32_s (i32.load (local.get $c)))
          (i64.extend_i32_s (i32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))))
        (if (i64.gt_s (local.get $xs) (i64.const 2147483647)) (then (local.set $xs (i64.const 2147483647))))
        (if (i64.lt_s (local.get $xs) (i64.const -2147483648)) (then (local.set $xs (i64.const -2147483648))))
        (if (i32.or (i64.eq (local.get $xs) (i64.const 2147483647)) (i64.eq (local.get $xs) (i64.const -2147483648)))
          (then (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (f32.store (local.get $y) (f32.demote_f64 (f64.mul
          (f64.mul (f64.convert_i64_s (local.get $xs)) (local.get $s)) (f64.load (local.get $cp)))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $cp (i32.add (local.get $cp) (i32.const 8)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowLoop)))
    (i32.add (local.get $k) (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $cnt)) (i32x4.extract_lane 1 (local.get $cnt)))
      (i32.add (i32x4.extract_lane 2 (local.get $cnt)) (i32x4.extract_lane 3 (local.get $cnt))))))
)
