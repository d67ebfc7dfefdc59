/** Characters as PostgreSQL's char_length counts them: code points, where a string's length counts UTF-16 units. */
export function characters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
