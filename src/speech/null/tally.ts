/** Audio a null provider was given: what is left to count when speech is switched off. */
export class AudioTally {
  frames = 0;
  samples = 0;

  add(samples: number): void {
    this.frames += 1;
    this.samples += samples;
  }
}
