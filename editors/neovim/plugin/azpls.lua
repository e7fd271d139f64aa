-- Defines :AzplsExpand (the expanded pipeline beside the source; see ../lua/azpls.lua) when
-- this folder is on 'runtimepath', whichever way azpls is started: vim.lsp.enable('azpls')
-- on 0.11, require('azpls').setup() from 0.7, or nvim-lspconfig.
if vim.g.loaded_azpls or vim.fn.has('nvim-0.7') ~= 1 then
  return
end
vim.g.loaded_azpls = true
require('azpls').create_commands()
