/**
 * A duration as a person says it: `45 s`, `3 min 12 s`, `15 min`, `2 h 5 min`. Used wherever a
 * line tells how long something took, has lasted (the network gone) or will be waited for.
 *
 * @param milliseconds The duration; a negative one reads as 0 s.
 */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  return minutes % 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${Math.floor(minutes / 60)} h`;
}
