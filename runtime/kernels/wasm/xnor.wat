;; Binary XNOR-popcount GEMM: mismatches[i, j] = popcount(A_i XOR B_j) over rows bit-packed along k
;; (binary.ts's layout, copied in by xnor.ts with each row padded to whole 64-bit words and the
;; row counts to even; pad bits are 0 in both operands, so they never mismatch).
;; Scalar i64.popcnt rather than i8x16.popcnt: on x64 without AVX-512 V8 lowers i8x16.popcnt to a
;; nibble-table pshufb sequence of about eight instructions per 128 bits, while i64.popcnt is one
;; popcnt instruction per 64 bits, so xor + popcnt + add is 3 instructions per 64 binary MACs.
;; Rows are blocked 2×2 so each loaded word feeds two XORs; 4 accumulators, 4 operands and the
;; pointers fit x64's 16 general registers.
(module
  (import "env" "memory" (memory 0))

  ;; C[mp × np] (int32, row stride np) = mismatches; q words of 64 bits per row; mp, np even.
  (func (export "xnor") (param $mp i32) (param $np i32) (param $q i32) (param $a i32) (param $b i32) (param $c i32)
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
        (i32.store (local.get $a0) (i32.wrap_i64 (local.get $c00)))
        (i32.store offset=4 (local.get $a0) (i32.wrap_i64 (local.get $c01)))
        (local.set $a0 (i32.add (local.get $a0) (i32.shl (local.get $np) (i32.const 2))))
        (i32.store (local.get $a0) (i32.wrap_i64 (local.get $c10)))
        (i32.store offset=4 (local.get $a0) (i32.wrap_i64 (local.get $c11)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br_if $jRows (i32.lt_u (local.get $j) (local.get $np))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $iRows (i32.lt_u (local.get $i) (local.get $mp)))))
)
