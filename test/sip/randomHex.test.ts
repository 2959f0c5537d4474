// randomHex: hex of the asked length, different each time, across pool refills.
import { randomHex } from '../../src/sip/randomHex';

test('randomHex gives 2 × n hex characters, no repeats across several pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const h = randomHex(6); // 18,000 bytes: four refills of the 4 KiB pool
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    seen.add(h);
  }
  expect(seen.size).toBe(3000);
  expect(randomHex(3)).toMatch(/^[0-9a-f]{6}$/);
  expect(randomHex(5000)).toMatch(/^[0-9a-f]{10000}$/);
});
