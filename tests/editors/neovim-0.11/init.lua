-- Test init for Neovim 0.11: configures azpls exactly as editors/neovim/README.md tells
-- 0.11 users to (the shipped folder on 'runtimepath', its lsp/azpls.lua found natively,
-- vim.lsp.enable), overriding only the command to run the binary under test.
vim.opt.swapfile = false
vim.opt.runtimepath:prepend(assert(os.getenv('AZPLS_NVIM_CONFIG'), 'AZPLS_NVIM_CONFIG unset'))

vim.lsp.config('azpls', { cmd = { assert(os.getenv('AZPLS_BINARY'), 'AZPLS_BINARY unset'), 'server' } })
vim.lsp.enable('azpls')

-- The native config (lsp/azpls.lua) and the all-versions module (lua/azpls.lua) must agree.
local native = dofile(vim.api.nvim_get_runtime_file('lsp/azpls.lua', false)[1])
local module = require('azpls').config()
for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers' }) do
  if not vim.deep_equal(native[key], module[key]) then
    io.stderr:write(string.format('lsp/azpls.lua and lua/azpls.lua disagree on %s\n', key))
    vim.cmd('cquit! 3')
  end
end
