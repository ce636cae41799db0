;; FastCDC's gear loop (see fastcdc.ts, whose scanGear is the reference implementation).
;; Memory (imported, sized by the caller): the 256-entry gear table as i32 at byte 0, the
;; chunking window from byte 1024.
;; scan(from, normal, limit, small, large): hash bytes [from, limit) starting from h = 0 with
;; h = (h << 1) + GEAR[byte]; returns the index just past the first byte whose hash has no bit of
;; `small` set (before `normal`) or of `large` set (from `normal` on), or `limit` if none does.
;; All indexes are absolute byte addresses in this memory.
;; Compiled into gear-scan.ts (GEAR_SCAN_WASM); test/core/chunker.test.ts checks the two agree.
(module
  (import "chunker" "memory" (memory 1))
  (func (export "scan") (param $from i32) (param $normal i32) (param $limit i32) (param $small i32) (param $large i32) (result i32)
    (local $h i32) (local $i i32)
    (local.set $i (local.get $from))
    (block $small_done
      (loop $small_loop
        (br_if $small_done (i32.ge_u (local.get $i) (local.get $normal)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
                               (i32.load (i32.shl (i32.load8_u (local.get $i)) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.eqz (i32.and (local.get $h) (local.get $small))) (then (return (local.get $i))))
        (br $small_loop)))
    (block $large_done
      (loop $large_loop
        (br_if $large_done (i32.ge_u (local.get $i) (local.get $limit)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
                               (i32.load (i32.shl (i32.load8_u (local.get $i)) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.eqz (i32.and (local.get $h) (local.get $large))) (then (return (local.get $i))))
        (br $large_loop)))
    (local.get $limit))
)
