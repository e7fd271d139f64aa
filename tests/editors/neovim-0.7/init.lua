-- Test init for Neovim 0.7: configures azpls exactly as editors/neovim/README.md tells
-- users of Neovim 0.7-0.10 to (the shipped folder on 'runtimepath', require('azpls').setup),
-- with the command pointing at the binary under test.
vim.opt.swapfile = false
vim.opt.runtimepath:prepend(assert(os.getenv('AZPLS_NVIM_CONFIG'), 'AZPLS_NVIM_CONFIG unset'))

require('azpls').setup({ cmd = { assert(os.getenv('AZPLS_BINARY'), 'AZPLS_BINARY unset'), 'server' } })
