;; conv2d's input gradient without its column matrix, for layers whose output rows are whole
;; 8-pixel panels. dx = col2im(Wᵀ·dY) was a GEMM into a taps × pixels matrix (12 MB on
;; spiking_cnn's second layer) and a scatter of it into the padded image; here each 4-tap × 8-pixel
;; tile of the product is added into the image from registers. Relaxed SIMD's fused multiply-add,
;; as gemm-f32-tile-fma.wat (loaded only where relaxed SIMD validates; elsewhere conv-wasm.ts keeps
;; the GEMM and scatter).
(module
  (import "env" "memory" (memory 0))

  ;; img[taps[q] + rows[r] + x] += Σ_o w[o·ntaps + cols[q]]·mat[o·ld + r·ow + x] for every pixel
  ;; row r (ow a multiple of 8, stride 1; addresses in bytes, tables i32 float offsets): tap q is
  ;; the weights' column cols[q], in whatever order the caller found best. The taps are packed 4 at
  ;; a time into wp first (wp[(g·k + o)·4 + r] = w[o·ntaps + cols[4g + r]], zero past ntaps:
  ;; 16·k·⌈ntaps/4⌉ bytes), so a tile reads its k steps of A as one run, and each pixel panel's k
  ;; steps are copied together after them (32·k bytes), where they stay in L1 while every tap group
  ;; passes over them. Sums run over o in order, as the GEMM's do; the image receives them tile by
  ;; tile rather than tap by tap over all pixels, so dx can differ from the GEMM-and-scatter path
  ;; in the last bits.
  (func (export "dx_tiles") (param $img i32) (param $taps i32) (param $ntaps i32) (param $rows i32) (param $nrows i32)
    (param $ow i32) (param $mat i32) (param $ld i32) (param $k i32) (param $w i32) (param $cols i32) (param $wp i32)
    (local $g i32) (local $ng i32) (local $o i32) (local $r i32) (local $q i32) (local $x i32) (local $p i32) (local $end i32)
    (local $a i32) (local $b i32) (local $base i32) (local $d i32) (local $mr i32) (local $ldb i32)
    (local $bp i32) (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $ng (i32.shr_u (i32.add (local.get $ntaps) (i32.const 3)) (i32.const 2)))
    ;; Pack: p walks wp; (g, o, lane r) reads w[o·ntaps + 4g + r].
    (local.set $p (local.get $wp))
    (block $pd (loop $pg
      (br_if $pd (i32.ge_u (local.get $g) (local.get $ng)))
      (local.set $o (i32.const 0))
      (block $od (loop $po
        (br_if $od (i32.ge_u (local.get $o) (local.get $k)))
        (local.set $r (i32.const 0))
        (loop $pr
          (local.set $q (i32.add (i32.shl (local.get $g) (i32.const 2)) (local.get $r)))
          (f32.store (local.get $p)
            (select
              (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $ntaps))
                (i32.load (i32.add (local.get $cols) (i32.shl
                  (select (local.get $q) (i32.const 0) (i32.lt_u (local.get $q) (local.get $ntaps))) (i32.const 2))))) (i32.const 2))))
              (f32.const 0)
              (i32.lt_u (local.get $q) (local.get $ntaps))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br_if $pr (i32.lt_u (local.get $r) (i32.const 4))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $po)))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $pg)))
    (local.set $bp (local.get $p))
    (local.set $ldb (i32.shl (local.get $ld) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rd (loop $row
      (br_if $rd (i32.ge_u (local.get $r) (local.get $nrows)))
      (local.set $x (i32.const 0))
      (block $xd (loop $panel
        (br_if $xd (i32.ge_u (local.get $x) (local.get $ow)))
        ;; This panel's pixels: column r·ow + x of mat, image offset rows[r] + x.
        (local.set $base (i32.add (local.get $x) (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2))))))
        (local.set $d (i32.add (local.get $mat) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ow)) (local.get $x)) (i32.const 2))))
        ;; The panel's k steps copied together after wp: in mat they are ld floats apart, and with
        ;; ld a multiple of 1024 (160 images of 64 pixels) all of them fall in one L1 set.
        (local.set $b (local.get $bp))
        (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $k) (i32.const 5))))
        (loop $copy
          (v128.store (local.get $b) (v128.load (local.get $d)))
          (v128.store offset=16 (local.get $b) (v128.load offset=16 (local.get $d)))
          (local.set $d (i32.add (local.get $d) (local.get $ldb)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $copy (i32.lt_u (local.get $b) (local.get $end))))
        (local.set $a (local.get $wp))
        (local.set $g (i32.const 0))
        (block $gd (loop $group
          (br_if $gd (i32.ge_u (local.get $g) (local.get $ng)))
          (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
          (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
          (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
          (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
          (local.set $b (local.get $bp))
          (local.set $end (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 4))))
          (loop $kstep
            (local.set $b0 (v128.load (local.get $b)))
            (local.set $b1 (v128.load offset=16 (local.get $b)))
            (local.set $av (v128.load32_splat offset=0 (local.get $a)))
            (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
            (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
            (local.set $av (v128.load32_splat offset=4 (local.get $a)))
            (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
            (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
            (local.set $av (v128.load32_splat offset=8 (local.get $a)))
            (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
            (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
            (local.set $av (v128.load32_splat offset=12 (local.get $a)))
            (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
            (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (local.set $b (i32.add (local.get $b) (i32.const 32)))
            (br_if $kstep (i32.lt_u (local.get $a) (local.get $end))))
          ;; Into the image, tap by tap (the last group may have fewer than 4).
          (local.set $q (i32.add (local.get $taps) (i32.shl (local.get $g) (i32.const 4))))
          (local.set $mr (i32.sub (local.get $ntaps) (i32.shl (local.get $g) (i32.const 2))))
          (block $sd
            (local.set $p (i32.add (local.get $img) (i32.shl (i32.add (local.get $base) (i32.load offset=0 (local.get $q))) (i32.const 2))))
            (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c00)))
            (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c01)))
            (br_if $sd (i32.le_u (local.get $mr) (i32.const 1)))
            (local.set $p (i32.add (local.get $img) (i32.shl (i32.add (local.get $base) (i32.load offset=4 (local.get $q))) (i32.const 2))))
            (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c10)))
            (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c11)))
            (br_if $sd (i32.le_u (local.get $mr) (i32.const 2)))
            (local.set $p (i32.add (local.get $img) (i32.shl (i32.add (local.get $base) (i32.load offset=8 (local.get $q))) (i32.const 2))))
            (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c20)))
            (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c21)))
            (br_if $sd (i32.le_u (local.get $mr) (i32.const 3)))
            (local.set $p (i32.add (local.get $img) (i32.shl (i32.add (local.get $base) (i32.load offset=12 (local.get $q))) (i32.const 2))))
            (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c30)))
            (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c31))))
          (local.set $g (i32.add (local.get $g) (i32.const 1)))
          (br $group)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (br $panel)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
)
