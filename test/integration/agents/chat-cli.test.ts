import { describe, expect, it } from 'vitest';
import { runPiped } from '../../helpers/process.ts';

/** Runs the real `rtvoice chat` with one caller line per turn on standard input (a pipe, not a terminal). */
function chat(lines: string[], ...args: string[]): ReturnType<typeof runPiped> {
  return runPiped(['bin/rtvoice.js', 'chat', ...args], lines, {
    ...process.env,
    REDIS_URL: '',
    AGENT_ENGINE: 'flow',
    OPENAI_BASE_URL: '',
    AZURE_OPENAI_ENDPOINT: '',
  });
}

describe('rtvoice chat: the insurance demo offline (flow engine)', () => {
  it('authenticates the caller, hands over to claims, files a claim and reads back its number', async () => {
    const { code, stdout } = await chat([
      'my name is alice brown',
      'six oh six oh one',
      'I want to report a claim',
      'yesterday',
      'a tree fell on my car',
      'no',
      'yes',
      'no',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^AuthAgent> Hi there from XYZ Insurance! To get started, may I have your full name\?/,
    );
    expect(stdout).toContain('[tool authenticate_caller ok]');
    expect(stdout).toContain("Thank you, Alice, you're verified.");
    expect(stdout).toContain('[handoff AuthAgent -> ClaimsAgent, voice claims_specialist]');
    expect(stdout).toContain('ClaimsAgent> Hi Alice, this is the claims specialist.');
    expect(stdout).toMatch(
      /Let me confirm: on \w+ \d+, \d{4}, a tree fell on my car, and no one was injured\./,
    );
    expect(stdout).toContain('[tool record_fnol ok]');
    expect(stdout).toMatch(/Your claim number is (\d ){5}\d\./);
    expect(stdout).toMatch(/Goodbye!\n {2}\[call ended: completed\]\n$/);
  });

  it('accepts the ZIP code on the keypad (DTMF) and answers policy questions', async () => {
    const { code, stdout } = await chat([
      'Bob Martinez',
      '#94105',
      'I have a question about my policy',
      'what is my deductible',
      'is roadside assistance included',
      "no thanks, that's all",
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain("Thank you, Bob, you're verified.");
    expect(stdout).toContain('[handoff AuthAgent -> PolicyAgent, voice policy_specialist]');
    expect(stdout).toContain('Your deductible is 1000 dollars.');
    expect(stdout).toContain('Roadside assistance is not part of your policy.');
    expect(stdout).toContain('[call ended: completed]');
  });

  it('asks again after a failed verification and escalates to a person after the second', async () => {
    const { stdout } = await chat(['Alice Brown', '99999', 'Alice Brown', '11111', 'hello?']);
    expect(stdout.match(/\[tool authenticate_caller ok\]/g)).toHaveLength(2);
    expect(stdout).toContain("I couldn't find a policy with that name and code. Let's try once more.");
    expect(stdout).toContain("I'm sorry, I still couldn't verify your identity.");
    expect(stdout).toContain('[tool escalate_human ok]');
    expect(stdout).toMatch(/\[call ended: human_handoff\]\n$/);
    expect(stdout).not.toContain('you> hello?'); // the call was over: the rest of the input is not read
  });

  it('re-asks what it did not understand, and escalates when the caller asks for a person', async () => {
    const { stdout } = await chat(['Alice Brown', 'I do not know', 'can I talk to a real person']);
    expect(stdout).toContain('I need five digits for a ZIP code, or four for your social security number.');
    expect(stdout).toContain('I am transferring you to a representative now. Please hold.');
    expect(stdout).toContain('[call ended: human_handoff]');
  });

  it('starts with another agent when asked, and names the agents when the name is wrong', async () => {
    const unknown = await chat([], '--agent', 'Nobody');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no agent "Nobody"; agents: AuthAgent, ClaimsAgent, PolicyAgent');
    const claims = await chat(['goodbye'], '--agent', 'ClaimsAgent');
    expect(claims.stdout).toMatch(/^ClaimsAgent> Hi, this is the claims specialist/);
  });
});
