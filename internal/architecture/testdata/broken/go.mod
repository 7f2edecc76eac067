module ccsub

go 1.26
