;; Binary XNOR-popcount GEMM: C[i, j] = k − 2·popcount(A_i XOR B_j), the ±1 dot product, over rows bit-packed along k
;; (binary.ts's layout, copied in by xnor.ts with each row padded to whole 64-bit words and the
;; row counts to even; pad bits are 0 in both operands, so they never mismatch).
;; Scalar i64.popcnt rather than i8x16.popcnt: on x64 without AVX-512 V8 lowers i8x16.popcnt to a
;; nibble-table pshufb sequence of about eight instructions per 128 bits, while i64.popcnt is one
;; popcnt instruction per 64 bits, so xor + popcnt + add is 3 instructions per 64 binary MACs.
;; Rows are blocked 2×2 so each loaded word feeds two XORs; 4 accumulators, 4 operands and the
;; pointers fit x64's 16 general registers.
(module
  (import "env" "memory" (memory 0))

  ;; C[mp × np] (int32, row stride np) = k − 2·mismatches; q words of 64 bits per row; mp, np even.
  ;; The dot products are formed here rather than by a JS loop over C, so the threshold kernel
  ;; (threshold.wat) can compare them where they lie.
  (func (export "xnor") (param $mp i32) (param $np i32) (param $q i32) (param $a i32) (param $b i32) (param $c i32) (param $kbits i32)
    (local $i i32) (local $j i32) (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $end i32)
    (local $row i32) (local $x0 i64) (local $x1 i64) (local $y0 i64) (local $y1 i64)
    (local $c00 i64) (local $c01 i64) (local $c10 i64) (local $c11 i64)
    (local.set $row (i32.shl (local.get $q) (i32.const 3)))
    (loop $iRows
      (local.set $j (i32.const 0))
      (loop $jRows
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $row))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $row)))
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $row))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $row)))
        (local.set $end (i32.add (local.get $a0) (local.get $row)))
        (local.set $c00 (i64.const 0)) (local.set $c01 (i64.const 0))
        (local.set $c10 (i64.const 0)) (local.set $c11 (i64.const 0))
        (loop $k
          (local.set $x0 (i64.load (local.get $a0)))
          (local.set $x1 (i64.load (local.get $a1)))
          (local.set $y0 (i64.load (local.get $b0)))
          (local.set $y1 (i64.load (local.get $b1)))
          (local.set $c00 (i64.add (local.get $c00) (i64.popcnt (i64.xor (local.get $x0) (local.get $y0)))))
          (local.set $c01 (i64.add (local.get $c01) (i64.popcnt (i64.xor (local.get $x0) (local.get $y1)))))
          (local.set $c10 (i64.add (local.get $c10) (i64.popcnt (i64.xor (local.get $x1) (local.get $y0)))))
          (local.set $c11 (i64.add (local.get $c11) (i64.popcnt (i64.xor (local.get $x1) (local.get $y1)))))
          (local.set $a0 (i32.add (local.get $a0) (i32.const 8)))
          (local.set $a1 (i32.add (local.get $a1) (i32.const 8)))
          (local.set $b0 (i32.add (local.get $b0) (i32.const 8)))
          (local.set $b1 (i32.add (local.get $b1) (i32.const 8)))
          (br_if $k (i32.lt_u (local.get $a0) (local.get $end))))
        (local.set $a0 (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $np)) (local.get $j)) (i32.const 2))))
        (i32.store (local.get $a0) (i32.sub (local.get $kbits) (i32.shl (i32.wrap_i64 (local.get $c00)) (i32.const 1))))
        (i32.store offset=4 (local.get $a0) (i32.sub (local.get $kbits) (i32.shl (i32.wrap_i64 (local.get $c01)) (i32.const 1))))
        (local.set $a0 (i32.add (local.get $a0) (i32.shl (local.get $np) (i32.const 2))))
        (i32.store (local.get $a0) (i32.sub (local.get $kbits) (i32.shl (i32.wrap_i64 (local.get $c10)) (i32.const 1))))
        (i32.store offset=4 (local.get $a0) (i32.sub (local.get $kbits) (i32.shl (i32.wrap_i64 (local.get $c11)) (i32.const 1))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br_if $jRows (i32.lt_u (local.get $j) (local.get $np))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $iRows (i32.lt_u (local.get $i) (local.get $mp)))))

  ;; Sign bits of `rows` rows of k float32 at x (row-major) into rows of q 64-bit words at dst, which
  ;; the caller zeroed: bit j of a row is x_j ≥ 0 (−0 counts as ≥ 0, NaN does not), as packSignBits.
  ;; 16 floats a step: four f32x4.ge masks narrowed twice to one i8x16 whose bitmask is their 16
  ;; bits, stored as a little-endian halfword, so bit j of the row lands at bit j of its words.
  (func (export "pack_signs") (param $rows i32) (param $k i32) (param $x i32) (param $q i32) (param $dst i32)
    (local $r i32) (local $src i32) (local $out i32) (local $j i32) (local $full i32) (local $zero v128)
    (local.set $full (i32.and (local.get $k) (i32.const -16)))
    (block $done
      (loop $rowsLoop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $src (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $k)) (i32.const 2))))
        (local.set $out (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $r) (local.get $q)) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $e16 (loop $l16
          (br_if $e16 (i32.ge_u (local.get $j) (local.get $full)))
          (i32.store16 (i32.add (local.get $out) (i32.shr_u (local.get $j) (i32.const 3)))
            (i8x16.bitmask
              (i8x16.narrow_i16x8_s
                (i16x8.narrow_i32x4_s
                  (f32x4.ge (v128.load (local.get $src)) (local.get $zero))
                  (f32x4.ge (v128.load offset=16 (local.get $src)) (local.get $zero)))
                (i16x8.narrow_i32x4_s
                  (f32x4.ge (v128.load offset=32 (local.get $src)) (local.get $zero))
                  (f32x4.ge (v128.load offset=48 (local.get $src)) (local.get $zero))))))
          (local.set $src (i32.add (local.get $src) (i32.const 64)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $l16)))
        (block $e1 (loop $l1
          (br_if $e1 (i32.ge_u (local.get $j) (local.get $k)))
          (if (f32.ge (f32.load (local.get $src)) (f32.const 0))
            (then
              (i32.store8 (i32.add (local.get $out) (i32.shr_u (local.get $j) (i32.const 3)))
                (i32.or (i32.load8_u (i32.add (local.get $out) (i32.shr_u (local.get $j) (i32.const 3))))
                  (i32.shl (i32.const 1) (i32.and (local.get $j) (i32.const 7)))))))
          (local.set $src (i32.add (local.get $src) (i32.const 4)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l1)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop))))
)
