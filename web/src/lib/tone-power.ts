/**
 * The fraction of a window's energy that lies at `freqHz`: Goertzel on a Hann-windowed block,
 * normalised so a pure tone gives ~1.0, two equal tones ~0.5 each, silence 0. This is how the
 * end-to-end tests decide, from inside the page, who the browser phone hears (TESTING.md).
 */
export function tonePower(samples: ArrayLike<number>, sampleRate: number, freqHz: number): number {
  const n = samples.length;
  if (n < 16 || freqHz <= 0 || freqHz >= sampleRate / 2) return 0;
  const w = (2 * Math.PI * freqHz) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let sumW = 0;
  let sumW2 = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    const x = (samples[i] ?? 0) * win;
    sumW += win;
    sumW2 += win * win;
    energy += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  if (energy <= 1e-12) return 0;
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // A pure sine of amplitude A gives power ≈ A²(Σw)²/4 and energy ≈ A²Σw²/2.
  const fraction = (power * 2 * sumW2) / (sumW * sumW * energy);
  return Math.min(1, fraction);
}
