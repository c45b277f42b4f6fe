// The task functions run by piscina's workers for bench/peers/piscina/run.mjs.
export function trivial(x) {
  return x;
}

export function cpu(n) {
  // The same loop as bench/workloads/_cpu.ts: a pure integer mix.
  let h = 2166136261 >>> 0;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ i, 16777619) >>> 0;
  return h;
}
