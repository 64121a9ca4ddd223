;; A dense weight [outF, inF] cut to its kept rows and columns, and a gradient spread back, for
;; training on dropout's submatrices (runtime/autodiff/submatrix.ts). In JS the cut's gather and
;; the spread's per-element index loads ran at 4-6 ns a kept value on binary_mlp's 1024² weights
;; under load; here the same loads and stores are plain scalar instructions. Values are moved, never
;; computed, so the results are the JS loops' bit for bit.
;;   cut     out[r, c] = w[rows[r], cols[c]]                     (out: [nr, nc])
;;   spread  out[rows[r], cols[c]] = g[r, c], zero elsewhere     (out: [outF, inF])
;; rows and cols are ascending i32 indices; spread's `slot` is inF i32s, slot[j] = c where
;; cols[c] = j, else nc, and `line` is nc + 1 floats of scratch (its last the zero of a dropped
;; column): each output row is written in memory order. Addresses are bytes.
(module
  (import "env" "memory" (memory 0))

  (func (export "cut") (param $w i32) (param $in_f i32) (param $rows i32) (param $nr i32)
    (param $cols i32) (param $nc i32) (param $out i32)
    (local $rend i32) (local $from i32) (local $c i32) (local $cend i32)
    (local.set $rend (i32.add (local.get $rows) (i32.shl (local.get $nr) (i32.const 2))))
    (local.set $cend (i32.add (local.get $cols) (i32.shl (local.get $nc) (i32.const 2))))
    (block $rdone (loop $row
      (br_if $rdone (i32.ge_u (local.get $rows) (local.get $rend)))
      (local.set $from (i32.add (local.get $w)
        (i32.shl (i32.mul (i32.load (local.get $rows)) (local.get $in_f)) (i32.const 2))))
      (local.set $c (local.get $cols))
      (block $cdone (loop $col
        (br_if $cdone (i32.ge_u (local.get $c) (local.get $cend)))
        (f32.store (local.get $out)
          (f32.load (i32.add (local.get $from) (i32.shl (i32.load (local.get $c)) (i32.const 2)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $col)))
      (local.set $rows (i32.add (local.get $rows) (i32.const 4)))
      (br $row))))

  (func (export "spread") (param $g i32) (param $out_f i32) (param $in_f i32) (param $rows i32)
    (param $nr i32) (param $slot i32) (param $nc i32) (param $line i32) (param $out i32)
    (local $o i32) (local $r i32) (local $row_bytes i32) (local $s i32) (local $send i32)
    (local.set $row_bytes (i32.shl (local.get $in_f) (i32.const 2)))
    (local.set $send (i32.add (local.get $slot) (local.get $row_bytes)))
    (f32.store (i32.add (local.get $line) (i32.shl (local.get $nc) (i32.const 2))) (f32.const 0))
    (block $odone (loop $orow
      (br_if $odone (i32.ge_u (local.get $o) (local.get $out_f)))
      (if (i32.and (i32.lt_u (local.get $r) (local.get $nr))
            (i32.eq (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $o)))
        (then
          (memory.copy (local.get $line) (local.get $g) (i32.shl (local.get $nc) (i32.const 2)))
          (local.set $g (i32.add (local.get $g) (i32.shl (local.get $nc) (i32.const 2))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (local.set $s (local.get $slot))
          (block $jdone (loop $col
            (br_if $jdone (i32.ge_u (local.get $s) (local.get $send)))
            (f32.store (local.get $out)
              (f32.load (i32.add (local.get $line) (i32.shl (i32.load (local.get $s)) (i32.const 2)))))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (br $col))))
        (else
          (memory.fill (local.get $out) (i32.const 0) (local.get $row_bytes))
          (local.set $out (i32.add (local.get $out) (local.get $row_bytes)))))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $orow))))
)
