// The BullMQ sandboxed processor of the baseline: run in a child process, as ours run in a
// session; it does what our benchmark's payload does.
export default function () {
  return 42;
}
