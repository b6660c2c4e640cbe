/**
 * JSGF grammars a flow can name for its questions (`grammar: digits`). Constrained to the few words an
 * answer can have, the recognizer gets digits and yes/no right far more often than with the open model.
 */
const BUILT_IN: Record<string, string> = {
  digits: `#JSGF V1.0;
grammar digits;
public <digits> = [<lead>] <digit> <digit>* ;
<lead> = it is | it's | my zip code is | my zip is | the last four are ;
<digit> = zero | oh | one | two | three | four | five | six | seven | eight | nine ;
`,
  yes_no: `#JSGF V1.0;
grammar yes_no;
public <answer> = [<lead>] (<yes> | <no>) [please | thanks | thank you] ;
<lead> = um | uh | well ;
<yes> = yes | yeah | yep | sure | correct | that's right | right | please do ;
<no> = no | nope | not really | no thanks | no thank you | nobody | no one ;
`,
};

/** The JSGF text of a built-in grammar, or undefined for an unknown name. */
export function builtInGrammar(name: string): string | undefined {
  return BUILT_IN[name];
}

export const BUILT_IN_GRAMMARS = Object.keys(BUILT_IN);

/**
 * Everyday words a caller says when not answering the question (a question of their own, an
 * interruption, a correction). A grammar's open alternative loops over those of them the grammar does
 * not use: when the best path takes it, the caller said something the grammar does not cover.
 */
const OFF_SCRIPT_WORDS = `i you we they he she it what when where why how who which is are was were do does
did can could would will should have has had am be been the a an and or but of to in on at for with about
from my your our their this that there here these those not just also please thank thanks hello hi okay so
well um uh like know think want need question ask tell call time office hours open policy claim car
insurance cover coverage deductible money pay payment bill address phone number name wait stop hold
repeat again back wrong person agent human representative speak talk sorry excuse me mean said say help
much many more some any all get go going make take give let see look find today tomorrow yesterday
morning afternoon night day week month year happened accident hurt hit tree house home water fire
actually hang minute second first last next other different change`
  .split(/\s+/)
  .filter(Boolean);

/** The rule names rtvoice adds; a grammar of one's own must not use them. */
const OPEN_RULE = 'rtvoice_utterance';
const OFF_SCRIPT_RULE = 'rtvoice_off_script';

/**
 * `jsgf` with an open alternative beside its public rule, for rejecting what the grammar does not cover
 * (the grammar biases recognition, it never forces it): a run of everyday words the grammar does not use.
 * (Letting the grammar's own words into that run made real answers lose to it.) Returns the new grammar
 * and those words: a hypothesis using any of them is off-script.
 */
export function withOffScriptAlternative(jsgf: string): { jsgf: string; offScript: ReadonlySet<string> } {
  const publicRule = /public\s+<([^>]+)>/.exec(jsgf);
  if (!publicRule) throw new Error('the JSGF grammar has no public rule');
  // The grammar's own words: its expansions without rule names, weights, tags and keywords.
  const own = new Set(
    jsgf
      .slice(publicRule.index)
      .replace(/<[^>]*>|\/[^/]*\/|\{[^}]*\}|\bpublic\b/g, ' ')
      .toLowerCase()
      .match(/[a-z][a-z']*/g) ?? [],
  );
  const words = OFF_SCRIPT_WORDS.filter((word) => !own.has(word));
  const rewritten = `${jsgf.slice(0, publicRule.index)}<${publicRule[1]}>${jsgf.slice(publicRule.index + publicRule[0].length)}`;
  return {
    jsgf:
      `${rewritten.trimEnd()}\n` +
      `public <${OPEN_RULE}> = <${publicRule[1]}> | <${OFF_SCRIPT_RULE}> ;\n` +
      `<${OFF_SCRIPT_RULE}> = (${words.join(' | ')})+ ;\n`,
    offScript: new Set(words),
  };
}
