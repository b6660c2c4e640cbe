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
<no> = no | nope | not really | no thanks | no thank you | nobody | no one | [no] <wrong> ;
<wrong> = that's wrong | that's not right | wrong | not right ;
`,
};

/** The JSGF text of a built-in grammar, or undefined for an unknown name. */
export function builtInGrammar(name: string): string | undefined {
  return BUILT_IN[name];
}

export const BUILT_IN_GRAMMARS = Object.keys(BUILT_IN);
