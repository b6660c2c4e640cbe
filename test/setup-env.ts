// Vite puts BASE_URL=/ (its own public base path) into the environment of every test process; rtvoice
// reads BASE_URL as ACS's callback URL, and the CLIs the tests spawn would inherit it.
delete process.env['BASE_URL'];
