/**
 * A winner the market's participation plan invited to no round: its
 * agreement says `roundsInvited: 0`. It sold participation and was never
 * asked to train, so it is owed its base price and nothing of the bonus;
 * it is not a free rider, who was asked and sent nothing useful.
 * Settlement and the auditor read the same signed term.
 */
export const neverInvited = (terms: Readonly<Record<string, unknown>>): boolean =>
  terms.roundsInvited === 0;
